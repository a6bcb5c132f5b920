"""Schema 3: stemmed search. ``article_stems``, the stemmed shadow of each article's title, body
and tags (kompas_crawler.stemming), with its full-text index (``article_stems_fts`` on SQLite,
the ``stem_vector`` column on PostgreSQL); filled here for the articles already stored.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

from kompas_crawler.storage.archive import stem_stored_articles
from kompas_crawler.storage.database import STEM_FTS_TABLE, create_stem_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "article_stems",
        sa.Column(
            "article_id",
            sa.Integer(),
            sa.ForeignKey("articles.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("tag_list", sa.Text(), nullable=False),
    )
    connection = op.get_bind()
    create_stem_index(connection)
    stem_stored_articles(connection)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {STEM_FTS_TABLE}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {STEM_FTS_TABLE}")
    op.drop_table("article_stems")
