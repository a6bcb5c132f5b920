"""Schema 1: the archive as kompas-crawler 0.1.0 made it.

Revision ID: 0001
Revises:
Archives from then carry ``schema_version = 1`` in ``archive_meta`` and no Alembic table: they
are stamped with this revision, then upgraded. It builds nothing: new archives are made from the
current models (create_all) and stamped with the newest revision.
"""

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
