"""``kompas-crawler``: the command-line entry point for users."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from kompas_crawler import installed_version
from kompas_crawler.errors import KompasError

# Each module in kompas_crawler.commands defines register(subparsers); the parser it adds sets
# ``run=function(args) -> int`` as its default.
COMMANDS = [
    "extract",
    "crawl",
    "search",
    "show",
    "stats",
    "export",
    "health",
    "serve",
    "reextract",
    "backfill",
    "coverage",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kompas-crawler",
        description="Archive and query the Global section of Kompas.com.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {installed_version()}")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"kompas_crawler.commands.{name}").register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except KompasError as error:
        print(f"kompas-crawler {args.command}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and closed early: not an error for the user.
        sys.stderr.close()
        return 0
    except OSError as error:  # a full disk, a vanished folder: the machine's problem, one line
        where = f" ({error.filename})" if error.filename else ""
        print(
            f"kompas-crawler {args.command}: error: {error.strerror or error}{where}",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
