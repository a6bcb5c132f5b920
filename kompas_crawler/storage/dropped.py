"""Articles listed but not stored: remembered with why, retried with backoff, then given up.

An article dropped for a missing field, challenged or failing to download is tried again an hour
later, then 3 and 6 hours later, then daily, for a week after its first try; after that
``next_try`` is None (given up) and the row stays, for ``health`` and ``stats`` to list. Storing
the article deletes its row (``forget_stored``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import (
    Engine,
    Table,
    delete,
    func,
    insert,
    inspect,
    or_,
    select,
    update,
)

from kompas_crawler.storage.archive import _chunks, to_naive_utc
from kompas_crawler.storage.models import ArticleRow, DroppedArticle

dropped = cast(Table, DroppedArticle.__table__)
articles = cast(Table, ArticleRow.__table__)

RETRY_DELAYS = (timedelta(hours=1), timedelta(hours=3), timedelta(hours=6))
DAILY = timedelta(days=1)
GIVE_UP_AFTER = timedelta(days=7)


@dataclass(frozen=True)
class Dropped:
    url: str
    article_id: str | None
    reason: str
    first_try: datetime
    last_try: datetime
    tries: int
    next_try: datetime | None  # None: given up


def next_try(tries: int, first_try: datetime, last_try: datetime) -> datetime | None:
    """When to try again after ``tries`` tries; None once a week has passed since the first."""
    delay = RETRY_DELAYS[tries - 1] if 0 < tries <= len(RETRY_DELAYS) else DAILY
    when = last_try + delay
    return None if when - first_try > GIVE_UP_AFTER else when


def has_dropped_table(engine: Engine) -> bool:
    return inspect(engine).has_table(DroppedArticle.__tablename__)


def remember_dropped(
    engine: Engine, url: str, article_id: str | None, reason: str, now: datetime
) -> None:
    """Record one more failed try of ``url`` (canonical), scheduling the next one."""
    when = cast(datetime, to_naive_utc(now))
    with engine.begin() as connection:
        row = connection.execute(
            select(dropped.c.first_try, dropped.c.tries).where(dropped.c.url == url)
        ).first()
        if row is None:
            connection.execute(
                insert(dropped).values(
                    url=url,
                    article_id=article_id,
                    reason=reason,
                    first_try=when,
                    last_try=when,
                    tries=1,
                    next_try=next_try(1, when, when),
                )
            )
            return
        tries = int(row.tries) + 1
        connection.execute(
            update(dropped)
            .where(dropped.c.url == url)
            .values(
                reason=reason,
                last_try=when,
                tries=tries,
                next_try=next_try(tries, row.first_try, when),
            )
        )


def forget_stored(engine: Engine) -> int:
    """Delete the rows of articles stored since (by URL or article id); how many."""
    stored = or_(
        dropped.c.url.in_(select(articles.c.url)),
        dropped.c.article_id.in_(select(articles.c.article_id)),
    )
    with engine.begin() as connection:
        return int(connection.execute(delete(dropped).where(stored)).rowcount or 0)


def not_due(engine: Engine, urls: Iterable[str], now: datetime) -> set[str]:
    """Those of these URLs that were dropped and are not to be tried yet (or given up)."""
    wanted = list(dict.fromkeys(urls))
    when = to_naive_utc(now)
    found: set[str] = set()
    with engine.connect() as connection:
        for chunk in _chunks(wanted):
            query = select(dropped.c.url).where(
                dropped.c.url.in_(chunk),
                or_(dropped.c.next_try.is_(None), dropped.c.next_try > when),
            )
            found.update(connection.execute(query).scalars())
    return found


def due(engine: Engine, now: datetime) -> list[str]:
    """URLs whose next try is due, oldest first."""
    query = (
        select(dropped.c.url)
        .where(dropped.c.next_try <= to_naive_utc(now))
        .order_by(dropped.c.next_try, dropped.c.url)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def list_dropped(engine: Engine, limit: int | None = None) -> tuple[int, list[Dropped]]:
    """(how many are remembered, the latest tried first up to ``limit``); none without the table."""
    if not has_dropped_table(engine):
        return 0, []
    query = select(dropped).order_by(dropped.c.last_try.desc(), dropped.c.url).limit(limit)
    with engine.connect() as connection:
        total = int(connection.execute(select(func.count()).select_from(dropped)).scalar_one())
        rows = connection.execute(query).all()
    return total, [Dropped(*row) for row in rows]


def dropped_counts(engine: Engine) -> dict[str, int]:
    """How many articles are remembered as dropped, and how many of them were given up."""
    if not has_dropped_table(engine):
        return {"remembered": 0, "given_up": 0}
    query = select(func.count(), func.count().filter(dropped.c.next_try.is_(None)))
    with engine.connect() as connection:
        total, given_up = connection.execute(query.select_from(dropped)).one()
    return {"remembered": int(total), "given_up": int(given_up)}


def missing_captures(engine: Engine) -> int:
    """Stored articles with no raw capture to re-read them from (stored before capture began,
    or with KOMPAS_WARC_ENABLED off)."""
    query = select(func.count()).select_from(articles).where(articles.c.capture_id.is_(None))
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())
