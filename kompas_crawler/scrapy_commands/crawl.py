"""``scrapy crawl kompas_global``: Scrapy's own command, with the checks and exit statuses of
``kompas-crawler crawl`` (``kompas_crawler.outcome.EXIT_CODES``), so the README's first command
tells cron how the run went. Other spiders run as Scrapy runs them."""

from __future__ import annotations

import argparse
import logging
import sys

from scrapy.commands.crawl import Command as ScrapyCrawl
from scrapy.exceptions import UsageError

from kompas_crawler.config import check_settings
from kompas_crawler.errors import ConfigError
from kompas_crawler.extensions import RUN_ID
from kompas_crawler.masking import mask_credentials
from kompas_crawler.outcome import exit_code
from kompas_crawler.running import SPIDER, preflight, run_crawl

logger = logging.getLogger(__name__)


class Command(ScrapyCrawl):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if args == [SPIDER]:
            # Before Scrapy configures logging with them (a bad LOG_LEVEL would raise there).
            assert self.settings is not None
            try:
                check_settings(self.settings)
            except ConfigError as error:
                raise UsageError(mask_credentials(str(error)), print_help=False) from None

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
        crawler = self._create_crawler(SPIDER)
        status, summary = run_crawl(self.crawler_process, crawler, opts.spargs)
        self.exitcode = exit_code(status)
        if self.exitcode == 0:
            return
        if self.settings.get("LOG_FILE"):  # the log is elsewhere (or unwritable): say it here
            print(f"scrapy crawl: {summary}", file=sys.stderr)
        elif crawler.stats is None or crawler.stats.get_value(RUN_ID) is None:
            logger.error("%s", summary)  # no run record, so no "Crawl run N: ..." line
