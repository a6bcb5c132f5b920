"""``kompas-crawler serve``: browse the archive in Datasette, read-only, with charts."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from kompas_crawler.commands._output import add_db_argument, database_url
from kompas_crawler.storage.database import database_url as resolved_url

DEFAULT_PORT = 8001


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (0-65535)")
    return value


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="browse the archive in Datasette (read-only, with a dashboard)",
        description="Serve the archive in Datasette, read-only: articles with WIB times and "
        "facets, full-text search, canned queries and a coverage dashboard.",
    )
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"({DEFAULT_PORT}; 0: any free port)"
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (127.0.0.1: this machine only)"
    )
    add_db_argument(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    # Datasette and its plugins load only for this command.
    from kompas_crawler.browse.app import (
        datasette_app,
        is_loopback,
        listening_socket,
        prepare_archive,
        serve,
    )

    path, immutable = prepare_archive(resolved_url(*database_url(args)))
    sock = listening_socket(args.host, args.port)
    if not is_loopback(args.host):
        print(
            f"kompas-crawler serve: warning: listening on {args.host}, not only this machine: "
            "anyone who can reach it can read the archive",
            file=sys.stderr,
        )
    host, port = sock.getsockname()[:2]
    shown_host = f"[{host}]" if ":" in host else host
    mode = " (immutable: its folder is read-only)" if immutable else ""
    print(
        f"Serving {path}{mode} read-only at http://{shown_host}:{port}/archive/articles_flat "
        f"(dashboard: /-/dashboards/coverage). Ctrl-C stops.",
        file=sys.stderr,
        flush=True,
    )
    with sock:
        serve(datasette_app(path, immutable=immutable), sock)
    return 0
