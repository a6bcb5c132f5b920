"""``python -m kompas_crawler.offline``: serve the demo (or a generated) site, optionally in a
mode, or serve it and crawl it with the real spider (what ``make demo`` runs)."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence

from kompas_crawler.offline.modes import MODES
from kompas_crawler.offline.server import OfflineServer
from kompas_crawler.offline.sites import demo_site, generated_site

# Local crawls need no politeness delay; everything else stays as in settings.py.
LOCAL_CRAWL_SETTINGS = [
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16",
]  # fmt: skip


def crawl(server: OfflineServer, database_url: str, *scrapy_args: str) -> int:
    """``scrapy crawl kompas_global`` against the server into ``database_url``; the exit code."""
    env = {
        **os.environ,
        "KOMPAS_MIRROR": server.url,
        "KOMPAS_DATABASE_URL": database_url,
        "SCRAPY_SETTINGS_MODULE": os.environ.get(
            "SCRAPY_SETTINGS_MODULE", "kompas_crawler.settings"
        ),
    }
    command = [sys.executable, "-m", "scrapy", "crawl", "kompas_global"]
    process = subprocess.Popen([*command, *LOCAL_CRAWL_SETTINGS, *scrapy_args], env=env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached the crawl too: it stops cleanly, and its exit status is the answer.
            continue


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kompas_crawler.offline``: serve the demo (or a generated) site, or crawl
    it."""
    parser = argparse.ArgumentParser(
        prog="python -m kompas_crawler.offline",
        description="Serve a Kompas-shaped offline site for KOMPAS_MIRROR=http://127.0.0.1:PORT.",
        epilog="Arguments after -- go to scrapy crawl (with --crawl).",
    )
    parser.add_argument(
        "--port", type=int, default=8800, help="port on 127.0.0.1 (0: any free one)"
    )
    parser.add_argument(
        "--articles",
        type=int,
        default=0,
        help="serve a generated site of this many articles instead of the demo",
    )
    parser.add_argument("--port-file", help="write the port chosen to this file once listening")
    parser.add_argument(
        "--mode",
        choices=sorted(MODES),
        help="serve the site in this mode (drifted, hostile...; see kompas_crawler.offline.modes)",
    )
    parser.add_argument(
        "--crawl",
        metavar="DATABASE_URL",
        help="crawl the site into this archive (e.g. sqlite:///data/demo.db), then stop serving",
    )
    args, scrapy_args = parser.parse_known_args(argv)
    if scrapy_args and (args.crawl is None or scrapy_args[0] != "--"):
        parser.error(f"unrecognized arguments: {' '.join(scrapy_args)}")
    site = (
        generated_site(args.articles)
        if args.articles
        else demo_site(with_2026=True, with_sections=True)
    )
    site.set_mode(args.mode)
    server = OfflineServer(site, port=args.port).start()
    port = server.url.rsplit(":", 1)[1]
    if args.port_file:
        with open(args.port_file, "w", encoding="utf-8") as handle:
            handle.write(port + "\n")
    mode = f", mode {args.mode}" if args.mode else ""
    print(
        f"Serving {len(site.articles)} articles at {server.url}{mode}  (KOMPAS_MIRROR={server.url})"
    )
    sys.stdout.flush()
    # SIGTERM (kill, make's cleanup) stops the server as cleanly as Ctrl-C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        if args.crawl:
            return crawl(server, args.crawl, *scrapy_args[1:])
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        server.stop()
