"""`kompas-crawler backfill` on two real Scrapyd nodes on loopback, started here, writing to a
throwaway PostgreSQL archive, crawling the offline site: the archive ends as one clean run
leaves it, a node that is down is named and left out, a killed job is rescheduled; and the egg
holds the package data. Bad input is refused before any node is asked anything."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from kompas_crawler.cli import main
from kompas_crawler.offline import OfflineServer
from tests.crawling import KOMPAS_CRAWLER, wait_until
from tests.test_workers import (
    FIRST,
    LAST,
    RANGE,
    WORKER,
    finish,
    slow_site,
    snapshot,
    sqlite_url,
    start_worker,
    walking,
)


def needs_scrapyd() -> None:
    """Skip, saying what to install, without Scrapyd or scrapyd-client."""
    pytest.importorskip("scrapyd", reason="Scrapyd is not installed: pip install -e '.[test]'")
    pytest.importorskip(
        "scrapyd_client", reason="scrapyd-client is not installed: pip install -e '.[scrapyd]'"
    )


FAST = ["AUTOTHROTTLE_ENABLED=False", "DOWNLOAD_DELAY=0", "LOG_LEVEL=INFO"]
# The workers' own settings (one day a claim, short leases), as job settings.
JOB_SETTINGS = [*FAST, *(WORKER[n + 1] for n in range(0, len(WORKER), 2))]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Scrapyd:
    """One Scrapyd process in a folder of its own (config, eggs, logs, queues)."""

    def __init__(self, folder: Path, runner: str = "scrapyd.runner") -> None:
        folder.mkdir(parents=True)
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (folder / "scrapyd.conf").write_text(
            "[scrapyd]\n"
            f"bind_address = 127.0.0.1\nhttp_port = {self.port}\n"
            f"eggs_dir = {folder / 'eggs'}\nlogs_dir = {folder / 'logs'}\n"
            f"dbs_dir = {folder / 'dbs'}\nmax_proc = 2\npoll_interval = 0.5\nrunner = {runner}\n"
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "scrapyd", "-n", "--pidfile=", "-l", str(folder / "log")],
            cwd=folder,  # where it reads scrapyd.conf
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, timeout=30, step=0.2)

    def answers(self) -> bool:
        assert self.process.poll() is None, (self.folder / "log").read_text()[-2000:]
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def running_pids(self) -> list[int]:
        import requests

        reply = requests.get(f"{self.url}/listjobs.json", timeout=10).json()
        return [int(job["pid"]) for job in reply.get("running", [])]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Scrapyd]]:
    needs_scrapyd()
    root = tmp_path_factory.mktemp("scrapyd")
    started: list[Scrapyd] = []
    try:
        # The third refuses every egg: its runner, which lists an egg's spiders, is missing.
        started = [
            Scrapyd(root / "one"),
            Scrapyd(root / "two"),
            Scrapyd(root / "refusing", runner="kompas_no_such_runner"),
        ]
        yield started
    finally:
        for node in started:
            node.stop()


@pytest.fixture(scope="module")
def server() -> Iterator[OfflineServer]:
    with OfflineServer(slow_site()) as running:
        yield running


@pytest.fixture(scope="module")
def clean(server: OfflineServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """What one backfill of the range, alone and undisturbed, leaves."""
    folder = tmp_path_factory.mktemp("clean")
    done = finish(start_worker(folder, server.url, sqlite_url(folder), *RANGE))
    assert done.returncode == 0, done.stderr
    return snapshot(sqlite_url(folder))


def backfill(
    mirror: str, database: str, urls: list[str], *extra: str, workers: int = 2
) -> list[str]:
    settings = [f"--setting={pair}" for pair in [*JOB_SETTINGS, f"KOMPAS_MIRROR={mirror}"]]
    return [
        KOMPAS_CRAWLER,
        "backfill",
        *("--from", str(FIRST), "--to", str(LAST)),
        *(f"--scrapyd={url}" for url in urls),
        *("--workers", str(workers), "--database", database, "--poll", "0.5"),
        *settings,
        *extra,
    ]


def test_two_nodes_one_down_one_refusing_leave_the_clean_archive(
    nodes: list[Scrapyd], server: OfflineServer, clean: dict[str, Any], postgres_url: str
) -> None:
    down = f"http://127.0.0.1:{_free_port()}"  # nothing listens there
    refusing = nodes[2].url
    done = subprocess.run(
        backfill(server.url, postgres_url, [nodes[0].url, down, refusing, nodes[1].url]),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    named = [line for line in done.stdout.splitlines() if down in line]
    assert named == [
        f"backfill: {down} is down (connection refused); its jobs go to the other nodes"
    ]
    assert snapshot(postgres_url) == clean
    assert (
        done.stdout.splitlines()[-1]
        == f"backfill: {FIRST} to {LAST} complete: 12 days, 72 articles"
    )
    # Both live nodes got a job: the spread is over the nodes that answered.
    for node in nodes[:2]:
        assert node.url in done.stdout.split("complete")[0]
        assert list((node.folder / "logs").rglob("*.log")), f"no job ran on {node.url}"


@contextmanager
def walking_backfill(
    server: OfflineServer, database: str, node: Scrapyd, *extra: str
) -> Iterator[subprocess.Popen[str]]:
    """A one-worker backfill on ``node``, given once its job walks days; killed on the way out
    if it is still running."""
    process = subprocess.Popen(
        backfill(server.url, database, [node.url], *extra, workers=1),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(
            lambda: process.poll() is not None or (walking(database) and bool(node.running_pids())),
            timeout=120,
            step=0.2,
        )
        assert process.poll() is None, process.communicate()
        yield process
    finally:
        if process.poll() is None:
            process.kill()


def test_a_killed_job_is_rescheduled(
    nodes: list[Scrapyd], server: OfflineServer, clean: dict[str, Any], postgres_url: str
) -> None:
    with walking_backfill(server, postgres_url, nodes[0]) as process:
        pids = nodes[0].running_pids()
        assert len(pids) == 1
        os.kill(pids[0], signal.SIGKILL)
        out, err = process.communicate(timeout=300)
    assert process.returncode == 0, out + err
    rescheduled = [line for line in out.splitlines() if "rescheduled as" in line]
    assert len(rescheduled) == 1 and "its process died" in rescheduled[0], out
    assert snapshot(postgres_url) == clean


def test_the_egg_holds_the_package_data(tmp_path: Path) -> None:
    from kompas_crawler.scrapyd import build_egg

    needs_scrapyd()
    egg = zipfile.ZipFile(build_egg(tmp_path))
    names = set(egg.namelist())
    assert "kompas_crawler/browse/metadata.yml" in names
    assert "kompas_crawler/storage/migrations/script.py.mako" in names
    assert "kompas_crawler/storage/migrations/env.py" in names
    versions = {
        name
        for name in names
        if name.startswith("kompas_crawler/storage/migrations/versions/0") and name.endswith(".py")
    }
    on_disk = {
        f"kompas_crawler/storage/migrations/versions/{path.name}"
        for path in (Path(__file__).parents[1] / "kompas_crawler/storage/migrations/versions").glob(
            "0*.py"
        )
    }
    assert versions == on_disk and versions
    assert b"settings = kompas_crawler.settings" in egg.read("EGG-INFO/entry_points.txt")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--from", "2024-13-01", "--to", "2024-12-31"], "--from '2024-13-01' is not a real date"),
        (["--from", "2024-06-30", "--to", "2024-06-01"], "--to 2024-06-01 is before --from"),
        (["--from", "2024-06-01", "--to", "2024-06-30", "--workers", "0"], "--workers 0"),
        (["--from", "2024-06-01", "--to", "2024-06-30", "--no-scrapyd"], "no Scrapyd node"),
        (["--from", "2024-06-01", "--to", "2024-06-30", "--scrapyd", "ftp://x"], "ftp://x"),
        (["--from", "2024-06-01", "--to", "2024-06-30", "--scrapyd", "http://h:99999"], "h:99999"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if "--no-scrapyd" in arguments:
        arguments.remove("--no-scrapyd")
    elif "--scrapyd" not in arguments:
        arguments += ["--scrapyd", "http://127.0.0.1:1"]
    database = f"sqlite:///{tmp_path / 'kompas.db'}"
    code = main(["backfill", *arguments, "--database", database])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and message in err, err
    assert err.startswith("kompas-crawler backfill: error: ")
    assert not (tmp_path / "kompas.db").exists()  # refused before touching anything


def test_ctrl_c_with_cancel_on_exit_cancels_the_jobs(
    nodes: list[Scrapyd], server: OfflineServer, postgres_url: str
) -> None:
    with walking_backfill(server, postgres_url, nodes[1], "--cancel-on-exit") as process:
        assert len(nodes[1].running_pids()) == 1
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 130, out + err
    assert err.strip().splitlines() == ["backfill: interrupted; 1 job cancelled"]
    wait_until(lambda: not nodes[1].running_pids(), timeout=60, step=0.5)
