"""Schema 5: PostgreSQL's tsvectors (``articles.search_vector``, ``article_stems.stem_vector``)
kept in their rows (STORAGE MAIN) instead of TOAST, so ranking reads them without a TOAST lookup
each; the two tables are rewritten to move the stored ones (about 40 s per table at 100,000
articles). Nothing changes on SQLite.

Revision ID: 0005
Revises: 0004
"""

import logging

from alembic import op

from kompas_crawler.storage.database import pg_inline_vectors

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

logger = logging.getLogger(__name__)


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        logger.warning("Rewriting the search columns of PostgreSQL's articles and article_stems")
        pg_inline_vectors(connection)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, vector in (("articles", "search_vector"), ("article_stems", "stem_vector")):
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {vector} SET STORAGE EXTENDED")
