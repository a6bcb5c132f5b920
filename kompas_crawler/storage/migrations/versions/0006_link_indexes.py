"""A name's articles from an index alone: the link tables' indexes on a writer, source or tag
end with the article id, so a search filter's set of ids is read without the table rows.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_REPLACED = [
    # (table, old index, old columns, new index, new columns)
    (
        "article_people",
        "ix_article_people_role",
        ["role", "person_id"],
        "ix_article_people_role_article",
        ["role", "person_id", "article_id"],
    ),
    (
        "article_sources",
        "ix_article_sources_source_id",
        ["source_id"],
        "ix_article_sources_source_article",
        ["source_id", "article_id"],
    ),
    (
        "article_tags",
        "ix_article_tags_tag_id",
        ["tag_id"],
        "ix_article_tags_tag_article",
        ["tag_id", "article_id"],
    ),
]


def upgrade() -> None:
    for table, old, _, new, columns in _REPLACED:
        op.create_index(new, table, columns)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for table, old, columns, new, _ in _REPLACED:
        op.create_index(old, table, columns)
        op.drop_index(new, table_name=table)
