"""Decisions of scheduled (incremental) crawls, kept free of Scrapy and the database.

- ``NewestWalk``: when the newest-first index walk may stop. It stops once a page holding only
  stored articles has been followed by ``overlap`` more such pages, once some default run has
  walked the index cleanly to its end.
- ``walk_trust``: which stored articles prove that everything older is stored. After a clean
  run, any. After killed or failed runs, an article they stored proves nothing (they may have
  skipped older ones), so only articles first stored before the earliest of them count: the next
  run walks back past what the unclean runs touched, not the whole index.
- ``DayWalks``: which backfill days were walked completely in this run, for ``index_days``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

WALK_COMPLETE = "kompas/index/walk_complete"  # the newest-first walk reached its natural end
# An index page that was not a listing (challenged, failed, blank): no real last page was seen.
WALK_BROKEN = "kompas/index/walk_broken"


def is_backfill(arguments: dict[str, Any]) -> bool:
    spider_arguments = arguments.get("spider", arguments)
    return bool(spider_arguments.get("start_date") or spider_arguments.get("end_date"))


def clean_walk(status: str, finish_reason: str | None, stats: dict[str, Any]) -> bool:
    """A run whose newest-first walk ended naturally at a real last page, with nothing failing
    or broken on the way."""
    return (
        status == "ok"
        and finish_reason == "finished"
        and bool(stats.get(WALK_COMPLETE))
        and not stats.get(WALK_BROKEN)
        and not stats.get("log_count/ERROR")
    )


@dataclass(frozen=True)
class WalkTrust:
    """What stored articles prove to the newest-first walk."""

    trusted: bool  # a default run walked the index cleanly: stored pages may stop the walk
    stored_before: datetime | None = None  # only articles first stored before this count


def walk_trust(past_runs: Iterable[Any]) -> WalkTrust:
    """From the past runs, newest first: the last clean default run, and the start of the
    earliest unclean one since (whose stored articles must not stop the walk)."""
    unclean_since: datetime | None = None
    for run in past_runs:
        if is_backfill(run.arguments) or run.finish_reason == "locked":
            continue
        if clean_walk(run.status, run.finish_reason, run.stats):
            return WalkTrust(trusted=True, stored_before=unclean_since)
        unclean_since = run.started_at
    return WalkTrust(trusted=False)


@dataclass
class NewestWalk:
    """The stop rule of the newest-first walk."""

    overlap: int = 1
    trusted: bool = False
    stored_pages_in_a_row: int = 0

    def keep_walking(self, all_stored: bool) -> bool:
        """After a page: whether to request the next one."""
        self.stored_pages_in_a_row = self.stored_pages_in_a_row + 1 if all_stored else 0
        return not (self.trusted and self.stored_pages_in_a_row > self.overlap)


@dataclass
class _Day:
    urls: set[str] = field(default_factory=set)
    first_page_seen: bool = False
    last_page_seen: bool = False


@dataclass
class DayWalks:
    """Backfill days whose index pages were all walked in this run, with the articles listed."""

    days: dict[date, _Day] = field(default_factory=dict)

    def page_walked(self, day: date, page: int, urls: Sequence[str], last: bool) -> None:
        walk = self.days.setdefault(day, _Day())
        walk.urls.update(urls)
        walk.first_page_seen |= page == 1
        walk.last_page_seen |= last

    def urls(self, day: date) -> set[str]:
        """The article URLs this run saw listed for ``day`` so far."""
        walk = self.days.get(day)
        return set(walk.urls) if walk is not None else set()

    def walked(self) -> dict[date, set[str]]:
        """Days walked from page 1 to the last page in this run, with their article URLs."""
        return {
            day: walk.urls
            for day, walk in self.days.items()
            if walk.first_page_seen and walk.last_page_seen
        }

    def complete(self, stored: set[str], dropped: set[str]) -> dict[date, int]:
        """Walked days whose every listed article is stored or was dropped (invalid): the
        number of stored articles of each."""
        done = {}
        for day, urls in self.walked().items():
            if urls <= stored | dropped:
                done[day] = len(urls & stored)
        return done
