"""Schema 3: stemmed search. ``article_stems``, the stemmed shadow of each article's title, body
and tags (kompas_crawler.stemming), with its full-text index (``article_stems_fts`` on SQLite,
the ``stem_vector`` column on PostgreSQL); filled here for the articles already stored.

Revision ID: 0003
Revises: 0002
"""

import logging

import sqlalchemy as sa
from alembic import op

from kompas_crawler.storage.archive import articles, write_stems
from kompas_crawler.storage.database import STEM_FTS_TABLE, create_stem_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)

BATCH = 1000
PROGRESS_EVERY = 20_000  # articles between two progress lines


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
    _fill(connection)


def _fill(connection: sa.Connection) -> None:
    """Stem every stored article, a batch at a time (keyset order: no OFFSET rescans)."""
    total = connection.execute(sa.select(sa.func.count()).select_from(articles)).scalar_one()
    columns = (articles.c.id, articles.c.title, articles.c.body, articles.c.tag_list)
    done, last = 0, 0
    while True:
        rows = connection.execute(
            sa.select(*columns).where(articles.c.id > last).order_by(articles.c.id).limit(BATCH)
        ).all()
        if not rows:
            break
        write_stems(connection, [(row.id, row._asdict()) for row in rows])
        done, last = done + len(rows), rows[-1].id
        if done % PROGRESS_EVERY < BATCH or done == total:
            logger.warning("Stemming the archive for search: %d of %d articles", done, total)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS {STEM_FTS_TABLE}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {STEM_FTS_TABLE}")
    op.drop_table("article_stems")
