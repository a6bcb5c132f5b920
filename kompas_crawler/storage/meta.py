"""Facts every crawl of an archive shares, kept in ``archive_meta``: the pause the site asked of
all of them (``pause_until``, from a Retry-After one worker saw), and which kompas-crawler version
last wrote the archive (``writer_version``)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Engine, Table, select, update

from kompas_crawler.storage.claims import now_utc
from kompas_crawler.storage.database import writing
from kompas_crawler.storage.models import ArchiveMeta

meta = cast(Table, ArchiveMeta.__table__)

PAUSE_UNTIL = "pause_until"
WRITER_VERSION = "writer_version"


def read_value(engine: Engine, key: str) -> str | None:
    with engine.connect() as connection:
        value = connection.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
    return None if value is None else str(value)


def write_value(engine: Engine, key: str, value: str) -> None:
    with writing(engine) as connection:
        changed = connection.execute(
            update(meta).where(meta.c.key == key).values(value=value)
        ).rowcount
        if not changed:
            connection.execute(meta.insert().values(key=key, value=value))


def shared_pause_until(engine: Engine) -> datetime | None:
    """When the pause every worker honours ends (naive UTC), if one was asked for."""
    value = read_value(engine, PAUSE_UNTIL)
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def share_pause(engine: Engine, seconds: float) -> datetime:
    """Ask every worker of the archive to pause downloads ``seconds`` from now (a pause already
    asked that ends later is kept); the end of the pause."""
    until = now_utc() + timedelta(seconds=seconds)
    with writing(engine) as connection:
        current = connection.execute(select(meta.c.value).where(meta.c.key == PAUSE_UNTIL)).scalar()
        if current is None:
            connection.execute(meta.insert().values(key=PAUSE_UNTIL, value=until.isoformat()))
            return until
        try:
            later = max(until, datetime.fromisoformat(str(current)))
        except ValueError:
            later = until
        connection.execute(
            update(meta).where(meta.c.key == PAUSE_UNTIL).values(value=later.isoformat())
        )
        return later
