"""``scrapy crawl kompas_global``: Scrapy's own command, with the checks and exit statuses of
``kompas-crawler crawl`` (``kompas_crawler.outcome.EXIT_CODES``), so the README's first command
tells cron how the run went. Other spiders run as Scrapy runs them."""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from kompas_crawler.outcome import exit_code
from kompas_crawler.running import SPIDER, preflight, run_crawl
from kompas_crawler.storage.runs import OK

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1 or args[0] != SPIDER:
            super().run(args, opts)
            return
        if opts.spargs is None:
            raise UsageError
        assert self.crawler_process is not None and self.settings is not None
        refused = preflight(self.settings, opts.spargs)
        if refused is not None:
            status, message = refused
            logger.critical("Cannot start: %s", message)
            if self.settings.get("LOG_FILE"):  # the user sees stderr, not the log
                print(f"scrapy crawl: error: {message}", file=sys.stderr)
            self.exitcode = exit_code(status)
            return
        status, summary = run_crawl(self.crawler_process, self._create_crawler(SPIDER), opts.spargs)
        (logger.info if status == OK else logger.error)("%s", summary)
        self.exitcode = exit_code(status)
