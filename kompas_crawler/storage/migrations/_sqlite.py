"""What a batch rebuild of a SQLite table loses, put back."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from alembic import op
from sqlalchemy import text


@contextmanager
def triggers_kept(table: str) -> Iterator[None]:
    """Re-create the table's triggers after the block: a batch rebuild (copy, drop, rename)
    drops them silently, and the FTS5 index then stops following the table."""
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        yield
        return
    query = text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :table")
    triggers = list(bind.execute(query, {"table": table}).scalars())
    yield
    for statement in triggers:
        bind.exec_driver_sql(
            statement.replace("CREATE TRIGGER ", "CREATE TRIGGER IF NOT EXISTS ", 1)
        )
