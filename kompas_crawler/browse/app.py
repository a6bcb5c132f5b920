"""The Datasette application of ``kompas-crawler serve``: the archive, read-only, with the
project's metadata, canned queries and dashboard (``metadata.yml`` beside this module)."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from importlib import resources
from pathlib import Path
from typing import Any

import uvicorn
import yaml
from datasette.app import Datasette
from datasette.database import Database
from datasette.plugins import pm
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from kompas_crawler.browse import cells
from kompas_crawler.errors import ConfigError, KompasError
from kompas_crawler.storage.database import _sqlite_path, open_existing_archive, shown
from kompas_crawler.storage.views import VIEWS, create_views

logger = logging.getLogger(__name__)

# The name the archive is mounted under, whatever its file is called: /archive/articles_flat.
DATABASE = "archive"
SETTINGS = {
    "default_page_size": 50,
    # Facets over a large archive are cut off rather than holding the page; suggestions would
    # scan every column of 460,000 rows on each page view.
    "facet_time_limit_ms": 400,
    "suggest_facets": False,
    "sql_time_limit_ms": 5000,
    # Bodies run to thousands of characters: the table shows their start, the row page all.
    "truncate_cells_html": 300,
}


def metadata() -> dict[str, Any]:
    """The shipped Datasette metadata: column descriptions, facets, canned queries, dashboard."""
    text = resources.files(__package__).joinpath("metadata.yml").read_text(encoding="utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def prepare_archive(url: str) -> tuple[Path, bool]:
    """The archive's file and whether to open it immutable (its folder is not writable).

    The views are made here when an archive from before them lacks them; a read-only one that
    lacks them cannot be served.
    """
    path = _sqlite_path(url) if url.startswith("sqlite") else None
    if path is None:
        raise ConfigError(
            f"serve reads a SQLite archive file, not {shown(url)} (Datasette reads only SQLite)"
        )
    engine = open_existing_archive(url)
    try:
        missing = set(VIEWS) - set(inspect(engine).get_view_names())
        if missing:
            with engine.begin() as connection:
                create_views(connection)
    except SQLAlchemyError as error:
        raise ConfigError(
            f"{shown(url)} lacks the views {', '.join(sorted(missing))} and cannot be written "
            "to add them: run a crawl on it once, or serve a writable copy"
        ) from error
    finally:
        engine.dispose()
    # A WAL archive opened mode=ro needs to write its -shm beside it; in a read-only folder
    # SQLite can only read it as immutable (a crawl cannot be writing there anyway).
    writable = os.access(path.parent, os.W_OK) and os.access(path, os.W_OK)
    return path, not writable


def datasette_app(path: Path, *, immutable: bool = False) -> Datasette:
    """Datasette on the archive at ``path`` under the name ``archive``, read-only."""
    if not pm.is_registered(cells):
        pm.register(cells, name="kompas_crawler.browse.cells")
    datasette = Datasette(metadata=metadata(), settings=SETTINGS)
    datasette.remove_database("_memory")
    # is_mutable=True opens it ?mode=ro (a running crawl's writes stay visible), else ?immutable=1.
    datasette.add_database(
        Database(datasette, path=str(path), is_mutable=not immutable), name=DATABASE
    )
    return datasette


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket bound to host:port, or one clear error (port in use, unknown host)."""
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
    except OSError as error:
        raise KompasError(f"cannot listen on {host}:{port} ({error.strerror or error})") from error
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError as error:
        sock.close()
        raise KompasError(f"cannot listen on {host}:{port} ({error.strerror or error})") from error
    return sock


def serve(datasette: Datasette, sock: socket.socket) -> None:
    """Serve until interrupted."""
    config = uvicorn.Config(datasette.app(), log_level="warning", lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])
