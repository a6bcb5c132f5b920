"""The HTTP server of the offline site: serves an `OfflineSite` on 127.0.0.1 in the mirror
layout ``KOMPAS_MIRROR`` expects (``/HOST/PATH?QUERY``), answers each request with the site's
`Reply` for it, and records every request it received (`Hit`)."""

from __future__ import annotations

import logging
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit

if TYPE_CHECKING:
    from kompas_crawler.offline.site import OfflineSite

logger = logging.getLogger(__name__)

HTML = "text/html; charset=utf-8"


@dataclass
class Reply:
    """What the server answers for one request. Build scripted faults from it."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=lambda: {"Content-Type": HTML})
    delay: float = 0.0  # seconds to wait before answering
    reset: bool = False  # drop the connection with a TCP reset instead of answering
    truncate_to: int | None = None  # send only this many body bytes (Content-Length stays full)

    @classmethod
    def html(cls, text: str, status: int = 200, **kwargs: object) -> Reply:
        return cls(status=status, body=text.encode("utf-8"), **kwargs)  # type: ignore[arg-type]

    @classmethod
    def text(cls, text: str, status: int = 200) -> Reply:
        return cls(
            status=status,
            body=text.encode("utf-8"),
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )


def route_key(url: str) -> str:
    """``HOST/PATH?QUERY`` with the host lower-cased and the query sorted: one key per page."""
    try:
        parts = urlsplit(url if "://" in url else "//" + url.lstrip("/"))
        hostname = parts.hostname
    except ValueError:  # a malformed host ("http://[zz]/") routes nowhere, it must not raise
        return url
    query = urlencode(sorted(parse_qsl(parts.query, keep_blank_values=True)))
    path = parts.path or "/"
    return f"{(hostname or '').lower()}{path}" + (f"?{query}" if query else "")


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    time: float  # time.monotonic()
    method: str
    url: str  # the original URL, https://HOST/PATH?QUERY
    status: int | None  # None when the connection was reset
    headers: dict[str, str]


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, send_body: bool) -> None:
        url = "https://" + self.path.lstrip("/")
        reply = self.server.site.reply(url)
        self.server.record(
            Hit(
                time.monotonic(),
                self.command,
                url,
                None if reply.reset else reply.status,
                dict(self.headers),
            )
        )
        if reply.delay:
            time.sleep(reply.delay)
        if reply.reset:
            # SO_LINGER 0: close() sends a TCP RST, as a dropped connection does.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        if reply.truncate_to is not None:
            self.send_header("Connection", "close")
        self.end_headers()
        if send_body:
            body = reply.body if reply.truncate_to is None else reply.body[: reply.truncate_to]
            self.wfile.write(body)
        if reply.truncate_to is not None:
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("offline site: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], site: OfflineSite) -> None:
        super().__init__(address, _Handler)
        self.site = site
        self.hits: list[Hit] = []
        self._hits_lock = threading.Lock()

    def record(self, hit: Hit) -> None:
        with self._hits_lock:
            self.hits.append(hit)


class OfflineServer:
    """Serves an `OfflineSite` on 127.0.0.1 (a free port unless given), in a background thread.

    ``with OfflineServer(demo_site()) as server:`` then crawl with ``KOMPAS_MIRROR=server.url``.
    """

    def __init__(self, site: OfflineSite, port: int = 0, host: str = "127.0.0.1") -> None:
        self.site = site
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The mirror base URL, e.g. ``http://127.0.0.1:41234``."""
        if self._server is None:
            raise RuntimeError("server not started")
        host, port = self._address[0], self._server.server_address[1]
        return f"http://{host}:{port}"

    @property
    def hits(self) -> list[Hit]:
        """Every request received so far, in order."""
        if self._server is None:
            return []
        with self._server._hits_lock:
            return list(self._server.hits)

    def clear_hits(self) -> None:
        if self._server is not None:
            with self._server._hits_lock:
                self._server.hits.clear()

    def start(self) -> OfflineServer:
        self._server = _Server(self._address, self.site)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="offline-site", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> OfflineServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
