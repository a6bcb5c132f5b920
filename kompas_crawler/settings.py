"""Every default of the crawler in one place. The environment is read here and nowhere else:
every ``KOMPAS_*`` setting below may be set in the environment or with ``-s`` (which wins)."""

import logging
import os

# A log that cannot be written (a full disk) must not print "--- Logging error ---" and a
# traceback per record: the stdlib's switch drops them until kompas_crawler.logs.LogGuard, on the
# crawl's handlers, stops the crawl at the first and reports it in one line.
logging.raiseExceptions = False

BOT_NAME = "kompas_crawler"
SPIDER_MODULES = ["kompas_crawler.spiders"]
NEWSPIDER_MODULE = "kompas_crawler.spiders"
# Our `scrapy crawl` (same checks and exit statuses as `kompas-crawler crawl`).
COMMANDS_MODULE = "kompas_crawler.scrapy_commands"

# Where the archive lives: any SQLAlchemy URL. Relative SQLite paths start at the working dir.
KOMPAS_DATABASE_URL = "sqlite:///data/kompas.db"
# Offline mirror: "http://127.0.0.1:PORT" sends https://HOST/PATH?Q to http://127.0.0.1:PORT/HOST/PATH?Q.
KOMPAS_MIRROR = ""

# Politeness: an honest name, robots.txt, adaptive speed.
# Say who crawls and where to reach them; set your own contact with -s USER_AGENT=... if you run it.
USER_AGENT = (
    "kompas-crawler/0.1 (+https://github.com/kompas-crawler/kompas-crawler; "
    "archive of Kompas Global news)"
)
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 60.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 5 * 1024 * 1024
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
COOKIES_ENABLED = False
# Items (and requests) processed in parallel per response. A response yields one article or a
# listing's requests, and Scrapy's default of 100 spends the crawl loop creating tasks; 4 was
# faster in every round of benchmarks/raw_archive.py on the 2,000-article mirror.
CONCURRENT_ITEMS = 4
# A cron job needs no remote control: no telnet console, no remote-control HTTP port.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

ITEM_PIPELINES: dict[str, int] = {
    # First, so articles later dropped count in the run's fill rates (kompas_crawler.health).
    "kompas_crawler.pipelines.health.HealthPipeline": 50,
    "kompas_crawler.pipelines.validate.ValidatePipeline": 100,
    "kompas_crawler.pipelines.deduplicate.DeduplicatePipeline": 200,
    "kompas_crawler.pipelines.store.StorePipeline": 900,
}
# Articles are committed in batches of this size, and at least every KOMPAS_STORE_FLUSH_SECONDS
# (0 disables the timer); whatever is pending is committed when the crawl closes.
KOMPAS_STORE_BATCH_SIZE = 100
KOMPAS_STORE_FLUSH_SECONDS = 5.0
DOWNLOADER_MIDDLEWARES: dict[str, int | None] = {
    # Scrapy 2.19's own lets requests through while robots.txt is still downloading (see ours).
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "kompas_crawler.middlewares.RobotsTxtMiddleware": 100,
    # Scrapy's raises on a page whose <base href> no URL parser reads, losing the page.
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "kompas_crawler.middlewares.MetaRefreshMiddleware": 580,
    # Between RedirectMiddleware (600) and DownloaderStats (850); see the middleware's docstring.
    "kompas_crawler.middlewares.OfflineMirrorMiddleware": 650,
    # Between the mirror (650) and HttpCompressionMiddleware (590): real URLs, raw payloads.
    "kompas_crawler.capture.middleware.CaptureMiddleware": 620,
    # Just outside RetryMiddleware (550): sees a 429/503 first and holds the retry back.
    "kompas_crawler.retry_after.RetryAfterMiddleware": 560,
    # Just outside that: a WAF challenge page is retried after a pause, never parsed.
    "kompas_crawler.challenge.ChallengeMiddleware": 570,
}
# A 429 (or 503) Retry-After pauses all downloads that long, capped; a bare 429 waits DEFAULT.
KOMPAS_RETRY_AFTER_DEFAULT = 10.0
# A longer Retry-After is not waited out: the run ends `blocked` at once.
KOMPAS_RETRY_AFTER_MAX = 300.0
# A WAF challenge page pauses all downloads BACKOFF seconds, doubled on each retry of the page.
KOMPAS_CHALLENGE_BACKOFF = 15.0
KOMPAS_CHALLENGE_RETRIES = 3
# Raw pages: every page parsed is kept as fetched, in WARC files in this folder, a new file
# after this many bytes (see kompas_crawler.capture).
KOMPAS_WARC_ENABLED = True
KOMPAS_WARC_DIR = "data/warc"
KOMPAS_WARC_ROTATE_BYTES = 1 << 30
# After Scrapy's CoreStats (0): the run record is closed once the finish reason is set.
EXTENSIONS: dict[str, int | None] = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "kompas_crawler.logs.LogGuard": 0,
    "kompas_crawler.extensions.RunRecorder": 1000,
    "kompas_crawler.progress.Progress": 1100,
}

# Scheduled crawls. The newest-first walk stops after this many pages past the first page that
# holds only stored articles (guards against articles shifting between pages while we walk).
KOMPAS_INDEX_OVERLAP_PAGES = 1
# No listing (the newest index, or one day's) is walked past this many pages (0: no bound).
KOMPAS_INDEX_MAX_PAGES = 200
# Articles published within this many hours are fetched again by every run (0: no revisits),
# unless fetched less than KOMPAS_REVISIT_INTERVAL_MINUTES ago (0: by every run, however often).
KOMPAS_REVISIT_HOURS = 48
KOMPAS_REVISIT_INTERVAL_MINUTES = 0
# Backfill workers (any number, on one archive) claim this many days at a time, each under a lease
# renewed every third of its length while they walk it (and at least every POLL seconds, when
# they also read how many workers share the site and any pause one of them was asked for). A
# worker dead longer than the lease loses its days to the others.
KOMPAS_CLAIM_DAYS = 3
KOMPAS_CLAIM_LEASE_SECONDS = 120.0
KOMPAS_WORKER_POLL_SECONDS = 5.0
# `kompas-crawler crawl` writes one log file per run here, and deletes its logs older than this.
KOMPAS_LOG_DIR = "data/logs"
KOMPAS_LOG_KEEP_DAYS = 30
# Progress: a plain line in the log every KOMPAS_PROGRESS_INTERVAL seconds, and a live status line
# on the terminal when the log goes to a file (kompas-crawler crawl; -q turns it off).
KOMPAS_PROGRESS_INTERVAL = 60.0
KOMPAS_PROGRESS_LIVE = True

FEED_EXPORT_ENCODING = "utf-8"
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = os.environ.get("KOMPAS_LOG_LEVEL", "INFO")

# The environment, read the same way for every KOMPAS_* setting (kompas_crawler.config checks the
# values against these defaults; lowercase, so Scrapy does not take it for a setting).
kompas_defaults = {name: value for name, value in globals().items() if name.startswith("KOMPAS_")}
globals().update({name: os.environ[name] for name in kompas_defaults if name in os.environ})
