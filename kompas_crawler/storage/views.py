"""Read-only views over the archive, for people reading it with sqlite3, Datasette or psql.

Stored times are naive UTC; these views add WIB (UTC+7) copies with their offset written out, and
gather writers, editors, sources and tags from their link tables into JSON arrays (byline order).
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select, text

# Columns shared by both views and both engines, with the engine's own WIB and JSON expressions.
_SQLITE_WIB = "strftime('%Y-%m-%dT%H:%M:%S+07:00', {column}, '+7 hours')"
_SQLITE_MONTH = "strftime('%Y-%m', a.published_at, '+7 hours')"
_SQLITE_NAMES = (
    "(SELECT json_group_array(name) FROM (SELECT n.name FROM {link} x JOIN {entity} n "
    "ON n.id = x.{key} WHERE x.article_id = a.id{extra} ORDER BY x.position))"
)
_PG_WIB = "to_char({column} + interval '7 hours', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+07:00\"')"
_PG_MONTH = "to_char(a.published_at + interval '7 hours', 'YYYY-MM')"
_PG_NAMES = (
    "(SELECT coalesce(json_agg(n.name ORDER BY x.position), '[]'::json) FROM {link} x "
    "JOIN {entity} n ON n.id = x.{key} WHERE x.article_id = a.id{extra})"
)

_LISTS = {
    "writers": ("article_people", "people", "person_id", " AND x.role = 'writer'"),
    "editors": ("article_people", "people", "person_id", " AND x.role = 'editor'"),
    "sources": ("article_sources", "sources", "source_id", ""),
    "tags": ("article_tags", "tags", "tag_id", ""),
}

VIEWS = ("articles_wib", "articles_flat")


def _statements(wib: str, month: str, names: str) -> list[str]:
    lists = ",\n        ".join(
        f"{names.format(link=link, entity=entity, key=key, extra=extra)} AS {name}"
        for name, (link, entity, key, extra) in _LISTS.items()
    )
    return [
        f"""CREATE VIEW IF NOT EXISTS articles_wib AS SELECT
        a.id, a.article_id, a.url, a.title,
        {wib.format(column="a.published_at")} AS published_wib,
        {wib.format(column="a.updated_at")} AS updated_wib,
        a.published_at AS published_utc, a.updated_at AS updated_utc,
        a.section, a.subsection, a.word_count
        FROM articles a""",
        f"""CREATE VIEW IF NOT EXISTS articles_flat AS SELECT
        a.id, a.title, a.url,
        {wib.format(column="a.published_at")} AS published_wib,
        {wib.format(column="a.updated_at")} AS updated_wib,
        {month} AS month_wib,
        a.section, a.subsection,
        {lists},
        a.dateline, a.word_count, a.body, a.image_url, a.image_caption, a.article_id,
        a.published_at AS published_utc,
        {wib.format(column="a.fetched_at")} AS fetched_wib
        FROM articles a""",
    ]


def create_views(connection: Connection) -> None:
    """Create the views when missing (SQLite, PostgreSQL); an unknown engine gets none."""
    dialect = connection.dialect.name
    if dialect == "sqlite":
        statements = _statements(_SQLITE_WIB, _SQLITE_MONTH, _SQLITE_NAMES)
    elif dialect == "postgresql":
        # No CREATE VIEW IF NOT EXISTS there: create only the missing ones, so that every crawl
        # opening the archive takes no DDL lock.
        missing = [
            name
            for name in VIEWS
            if connection.execute(select(func.to_regclass(name))).scalar() is None
        ]
        statements = [
            statement.replace("CREATE VIEW IF NOT EXISTS", "CREATE VIEW")
            for name, statement in zip(
                VIEWS, _statements(_PG_WIB, _PG_MONTH, _PG_NAMES), strict=True
            )
            if name in missing
        ]
    else:
        return
    for statement in statements:
        connection.execute(text(statement))
