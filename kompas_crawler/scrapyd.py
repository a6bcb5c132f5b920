"""Scrapyd nodes as ``kompas-crawler backfill`` uses them: the project's egg, and each node's
JSON API through scrapyd-client's ``ScrapydClient`` (with a timeout, and the upload it lacks).

The egg is built by ``scrapyd-deploy --build-egg`` from the source checkout (scrapy.cfg and
setup.py beside pyproject.toml), so it holds the package data too: the browse metadata and the
Alembic migrations. The archive's URL and the mirror are never in it: they go to each job as
settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from kompas_crawler.errors import ConfigError, KompasError

PROJECT = "kompas_crawler"
SPIDER = "kompas_global"
TIMEOUT = 30.0  # seconds for one API call; an upload waits for the node to list the spiders
_CHECKOUT = Path(__file__).resolve().parents[1]


class NodeError(KompasError):
    """A Scrapyd node that cannot be reached, or that refused a request."""

    exit_code = 1


def _client_module() -> Any:
    try:
        from scrapyd_client import pyclient
    except ImportError:
        raise ConfigError(
            "scrapyd-client is not installed: pip install 'kompas-crawler[scrapyd]'"
        ) from None
    return pyclient


def node_url(text: str) -> str:
    """A node's base URL (``http://host:6800``); ConfigError naming ``--scrapyd`` otherwise."""
    url = text.strip().rstrip("/")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a bad port raises here)
    except ValueError as error:
        raise ConfigError(f"--scrapyd {text!r} is not a URL ({error})") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--scrapyd {text!r} is not a Scrapyd URL: use e.g. http://host:6800")
    if parts.query or parts.fragment:
        raise ConfigError(f"--scrapyd {text!r}: a node's URL has no query or fragment")
    return url


def build_egg(folder: Path) -> Path:
    """The project's egg, built into ``folder`` by scrapyd-deploy from the source checkout."""
    if not (_CHECKOUT / "scrapy.cfg").is_file() or not (_CHECKOUT / "setup.py").is_file():
        raise ConfigError(
            f"cannot build the egg: no scrapy.cfg and setup.py in {_CHECKOUT} (run from a source "
            "checkout, or deploy with scrapyd-deploy and pass --no-deploy)"
        )
    _client_module()
    egg = folder / f"{PROJECT}.egg"
    with tempfile.TemporaryDirectory(prefix="kompas-egg-") as scratch:
        built = subprocess.run(
            [sys.executable, "-m", "scrapyd_client.deploy", "--build-egg", str(egg)],
            cwd=_CHECKOUT,
            capture_output=True,
            text=True,
            timeout=600,
            # scrapyd-deploy --build-egg leaves its build folder in TMPDIR: ours goes away.
            env={**os.environ, "TMPDIR": scratch},
        )
    if built.returncode != 0 or not egg.is_file():
        last = (built.stderr.strip().splitlines() or ["no output"])[-1]
        raise KompasError(f"scrapyd-deploy could not build the egg: {last}")
    return egg


@dataclass(frozen=True)
class Job:
    """One job on one node, as listjobs.json tells it."""

    id: str
    state: str  # pending, running or finished


@dataclass
class Node:
    """One Scrapyd instance."""

    url: str
    client: Any = field(init=False, repr=False)

    def __post_init__(self) -> None:
        pyclient = _client_module()

        class Client(pyclient.ScrapydClient):  # type: ignore[misc, name-defined]
            """ScrapydClient with a timeout on every call (a lost host must not hang us)."""

            def _get(self, basename: str, params: Any = None) -> Any:
                return _answer(
                    pyclient.requests.get(
                        f"{self.url}/{basename}.json",
                        params=params or {},
                        headers=pyclient.HEADERS,
                        auth=self.auth,
                        timeout=TIMEOUT,
                    )
                )

            def _post(self, basename: str, data: Any, files: Any = None) -> Any:
                return _answer(
                    pyclient.requests.post(
                        f"{self.url}/{basename}.json",
                        data=data,
                        files=files,
                        headers=pyclient.HEADERS,
                        auth=self.auth,
                        timeout=TIMEOUT,
                    )
                )

        def _answer(response: Any) -> Any:
            if response.status_code >= 400:  # e.g. 401: the node wants a password
                raise pyclient.ErrorResponse(f"HTTP {response.status_code} {response.reason}")
            return pyclient._process_response(response)

        self.client = Client(self.url)

    def _call(self, what: str, method: str, *args: Any, **kwargs: Any) -> Any:
        import requests
        from scrapyd_client.exceptions import ErrorResponse, MalformedResponse

        try:
            return getattr(self.client, method)(*args, **kwargs)
        except requests.RequestException as error:
            raise NodeError(f"{self.url} is down ({_reason(error)})") from None
        except ErrorResponse as error:
            raise NodeError(f"{self.url} refused {what}: {_last_line(str(error))}") from None
        except (MalformedResponse, KeyError, ValueError) as error:
            raise NodeError(
                f"{self.url} is not a Scrapyd node (its answer to {what}: "
                f"{_first_line(str(error))[:80]!r})"
            ) from None

    def check(self) -> None:
        """NodeError unless the node answers as Scrapyd does."""
        self._call("daemonstatus.json", "daemonstatus")

    def deploy(self, egg: Path, version: str) -> None:
        """Upload the egg as ``version`` of the project; NodeError if the node refuses it."""
        with egg.open("rb") as upload:
            reply = self._call(
                "the egg",
                "_post",
                "addversion",
                data={"project": PROJECT, "version": version},
                files=[("egg", (egg.name, upload))],
            )
        if not reply.get("spiders"):
            raise NodeError(f"{self.url} refused the egg: it found no spider in it")

    def has_project(self) -> bool:
        return PROJECT in self._call("listprojects.json", "projects")

    def schedule(self, arguments: dict[str, str], settings: dict[str, str]) -> str:
        """Schedule the spider; its job id."""
        pairs = [*arguments.items(), *(("setting", f"{k}={v}") for k, v in settings.items())]
        return str(self._call("schedule.json", "schedule", PROJECT, SPIDER, pairs))

    def jobs(self) -> dict[str, Job]:
        """The project's jobs on this node, by id."""
        reply = self._call("listjobs.json", "jobs", PROJECT)
        return {
            str(entry["id"]): Job(str(entry["id"]), state)
            for state in ("pending", "running", "finished")
            for entry in reply.get(state, [])
        }

    def cancel(self, job: str) -> None:
        self._call("cancel.json", "cancel", PROJECT, job)

    def jobs_page(self) -> str:
        return f"{self.url}/jobs"


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0]


def _last_line(text: str) -> str:
    """A traceback's last line: the error itself."""
    return (text.strip().splitlines() or [""])[-1].strip()[:200]


def _reason(error: BaseException) -> str:
    """What a requests error comes down to, e.g. 'connection refused'."""
    text = str(error).lower()
    for known in ("connection refused", "timed out", "name or service not known"):
        if known in text:
            return known
    return type(error).__name__
