"""How a crawl run ended, as an exit status: the one table every entry point uses.

``kompas-crawler crawl``, ``scrapy crawl kompas_global`` (the project's own ``crawl`` command,
see ``kompas_crawler.scrapy_commands``), ``make crawl`` and ``make demo`` all exit with
``EXIT_CODES[status]``, so cron hears of a failure whichever way the crawl was started.
"""

from __future__ import annotations

import re

from kompas_crawler.errors import ConfigError
from kompas_crawler.storage.runs import FAILED, OK, CrawlLocked

LOCKED = "locked"
BLOCKED = "blocked"  # the site answered with challenges or refusals (see the health verdict)
DEGRADED = "degraded"  # stored, but fields the known markups fill came out missing
CONFIG_ERROR = "config_error"  # a bad argument or setting: nothing was crawled

EXIT_CODES: dict[str, int] = {
    OK: 0,
    FAILED: 1,
    BLOCKED: 1,
    CONFIG_ERROR: ConfigError.exit_code,  # 2
    LOCKED: CrawlLocked.exit_code,  # 3
    DEGRADED: 4,
}

_SUMMARY_HEAD = re.compile(r"^run \w+: ")
_SUMMARY_COUNTS = re.compile(r"\s*\([^()]*\)$")


def exit_code(status: str) -> int:
    """The exit status of a run that ended with ``status``; an unknown status is a failure."""
    return EXIT_CODES.get(status, EXIT_CODES[FAILED])


def recorded_finish_reason(reason: str, status: str, summary: str) -> str:
    """The finish reason stored in the run record: Scrapy's, unless the run "finished" yet did
    not go well; then it says why (``finished: site unreachable, no page downloaded``), so
    status and finish reason never read as a contradiction."""
    if status == OK or reason != "finished":
        return reason
    why = _SUMMARY_COUNTS.sub("", _SUMMARY_HEAD.sub("", summary)).strip()
    return f"finished: {why or status}"
