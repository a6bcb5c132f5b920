"""Schema 2: raw pages and extraction health. A ``captures`` table (the index of WARC records);
on ``articles`` the capture each was read from, its ``layout`` and ``fallbacks``; a ``reason`` on
revisions; ``dropped_articles`` (listed but not stored, retried with backoff).

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

from kompas_crawler.storage.migrations._sqlite import triggers_kept

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "captures",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("article_id", sa.String(32)),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Integer(), nullable=False),
        sa.Column("payload_digest", sa.String(64), nullable=False),
        sa.Column("record_type", sa.String(16), nullable=False),
        sa.Column("warc_file", sa.Text(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("length", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint("warc_file", "offset", name="uq_captures_record"),
    )
    op.create_index("ix_captures_article_id", "captures", ["article_id"])
    op.create_index("ix_captures_payload_digest", "captures", ["payload_digest"])
    # On SQLite the foreign key makes this a copy of the whole table (SQLite cannot add one).
    with triggers_kept("articles"), op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("layout", sa.Text()))
        batch.add_column(sa.Column("fallbacks", sa.JSON()))
        batch.add_column(sa.Column("capture_id", sa.Integer()))
        batch.create_index("ix_articles_capture_id", ["capture_id"])
        batch.create_foreign_key(
            "fk_articles_capture_id", "captures", ["capture_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("article_revisions") as batch:
        batch.add_column(
            sa.Column("reason", sa.String(16), nullable=False, server_default="crawled")
        )
    op.create_table(
        "dropped_articles",
        sa.Column("url", sa.Text(), primary_key=True),
        sa.Column("article_id", sa.String(32)),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("first_try", sa.DateTime(), nullable=False),
        sa.Column("last_try", sa.DateTime(), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try", sa.DateTime()),
    )
    op.create_index("ix_dropped_articles_next_try", "dropped_articles", ["next_try"])


def downgrade() -> None:
    op.drop_table("dropped_articles")
    with op.batch_alter_table("article_revisions") as batch:
        batch.drop_column("reason")
    with triggers_kept("articles"), op.batch_alter_table("articles") as batch:
        batch.drop_constraint("fk_articles_capture_id", type_="foreignkey")
        batch.drop_index("ix_articles_capture_id")
        batch.drop_column("capture_id")
        batch.drop_column("fallbacks")
        batch.drop_column("layout")
    op.drop_table("captures")
