"""Every documented error case through every way of starting a crawl: ``kompas-crawler crawl``
(cron), ``scrapy crawl kompas_global`` (the project's command), ``make crawl`` (the README's
first command) and ``make demo``, against the offline site through KOMPAS_MIRROR. Each answers
with one clear line, the documented exit status (make: non-zero, naming it), and no traceback."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from kompas_crawler.offline import OfflineServer, Reply
from kompas_crawler.outcome import EXIT_CODES
from tests.crawling import FAST, KOMPAS_CRAWLER, ROOT, SCRAPY, crawl_env, last_run, old_site

ENTRY_POINTS = ["kompas-crawler", "scrapy", "make"]


def command(entry: str, *arguments: str) -> list[str]:
    if entry == "kompas-crawler":
        return [KOMPAS_CRAWLER, "crawl", *FAST, *arguments]
    if entry == "scrapy":
        return [SCRAPY, "crawl", "kompas_global", *FAST, *arguments]
    # -o: the installed venv counts as up to date (no reinstall inside a test).
    return ["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed", "crawl",
            f"ARGS={shlex.join([*FAST, *arguments])}"]  # fmt: skip


def environment(tmp_path: Path, mirror: str) -> dict[str, str]:
    env = crawl_env(mirror, tmp_path / "kompas.db", KOMPAS_LOG_DIR=str(tmp_path / "logs"))
    env["SCRAPY_SETTINGS_MODULE"] = "kompas_crawler.settings"
    return env


def crawl(entry: str, tmp_path: Path, mirror: str, *arguments: str, **extra: str) -> Result:
    result = subprocess.run(
        command(entry, *arguments),
        cwd=tmp_path,
        env={**environment(tmp_path, mirror), **extra},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Result(entry, result)


class Result:
    def __init__(self, entry: str, result: subprocess.CompletedProcess[str]) -> None:
        self.entry = entry
        self.code = result.returncode
        self.stdout = result.stdout
        self.stderr = result.stderr

    def assert_outcome(self, status: int, line: str) -> None:
        """The documented status (make: its own failure naming the crawler's), one line saying
        ``line``, no traceback."""
        assert "Traceback" not in self.stderr and "Logging error" not in self.stderr
        # (The stats Scrapy dumps into its log hold the summary too, as kompas/run/summary.)
        lines = [text for text in self.stderr.splitlines() if not text.lstrip().startswith("'")]
        said = [text for text in lines if line in text]
        assert len(said) == 1, self.stderr
        if self.entry == "make":
            assert (self.code != 0) == (status != 0)
            if status:
                assert f"Error {status}" in self.stderr
        else:
            assert self.code == status, self.stderr
        if self.entry == "kompas-crawler":
            assert self.stderr.count("\n") == 1  # nothing but that line


def dead_mirror() -> str:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{unused.getsockname()[1]}"


CONFIG_CASES = [
    (["-a", "max_page=3"], "unknown spider argument -a max_page; the accepted ones: start_date"),
    (["-a", "start_date=yesterday"], "start_date='yesterday' is not a date"),
    (["-a", "site=News"], "spider argument site='News' is not an indeks site: use a lowercase"),
    (["-a", "site=news,money"], "spider argument site='news,money' is not an indeks site"),
    (["-s", "DOWNLOAD_DELAY=abc"], "-s DOWNLOAD_DELAY='abc' is not valid: expected a number"),
    (["-s", "KOMPAS_REVISIT_HOUR=1"], "unknown setting -s KOMPAS_REVISIT_HOUR; the known ones"),
    (["-s", "LOG_LEVEL=LOUD"], "-s LOG_LEVEL='LOUD' is not a log level"),
    (
        ["-s", "KOMPAS_DATABASE_URL=postgresql://u:SECRET@h:abc/db"],
        "-s KOMPAS_DATABASE_URL='postgresql://u:***@h:abc/db' is not a usable database URL",
    ),
    (
        ["-s", "KOMPAS_DATABASE_URL=sqlite:////proc/no/such/kompas.db"],
        "cannot create folder '/proc/no/such'",
    ),
]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize(("arguments", "line"), CONFIG_CASES)
def test_a_bad_argument_or_setting_exits_2_before_any_request(
    entry: str, arguments: list[str], line: str, tmp_path: Path
) -> None:
    with OfflineServer(old_site(2, per_day=2)) as server:
        result = crawl(entry, tmp_path, server.url, *arguments)
        assert server.hits == []
    result.assert_outcome(EXIT_CODES["config_error"], line)
    assert "SECRET" not in result.stderr + result.stdout
    assert not (tmp_path / "kompas.db").exists()


def test_a_bad_setting_is_in_the_log_the_message_names(tmp_path: Path) -> None:
    result = crawl("kompas-crawler", tmp_path, dead_mirror(), "-s", "DOWNLOAD_DELAY=abc")
    log = Path(tmp_path, result.stderr.rsplit("log: ", 1)[1].strip())
    assert "CRITICAL: Cannot start: -s DOWNLOAD_DELAY='abc' is not valid" in log.read_text()


def test_a_bad_setting_in_the_environment_is_named_so(tmp_path: Path) -> None:
    result = crawl("kompas-crawler", tmp_path, dead_mirror(), KOMPAS_REVISIT_HOURS="soon")
    result.assert_outcome(2, "$KOMPAS_REVISIT_HOURS='soon' is not valid")


def test_every_kompas_setting_is_read_from_the_environment(tmp_path: Path) -> None:
    logs = tmp_path / "elsewhere"
    with OfflineServer(old_site(2, per_day=2)) as server:
        result = crawl("kompas-crawler", tmp_path, server.url, KOMPAS_LOG_DIR=str(logs))
    assert result.code == 0, result.stderr
    assert len(list(logs.glob("crawl-*.log"))) == 1
    assert f"log: {logs}" in result.stdout


@pytest.mark.parametrize("entry", ["kompas-crawler", "make"])
def test_an_unwritable_log_folder_exits_2(entry: str, tmp_path: Path) -> None:
    result = crawl(entry, tmp_path, dead_mirror(), KOMPAS_LOG_DIR="/proc/no-logs")
    result.assert_outcome(2, "KOMPAS_LOG_DIR='/proc/no-logs': cannot create it")


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_an_unreachable_site_exits_1(entry: str, tmp_path: Path) -> None:
    result = crawl(entry, tmp_path, dead_mirror(), "-s", "RETRY_TIMES=0")
    result.assert_outcome(1, "run failed: site unreachable, no page downloaded")
    run = last_run(tmp_path / "kompas.db")
    assert (run["status"], run["finish_reason"]) == (
        "failed",
        "finished: site unreachable, no page downloaded",  # never a bare "finished"
    )


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_a_good_run_exits_0_on_every_entry_point(entry: str, tmp_path: Path) -> None:
    with OfflineServer(old_site(3, per_day=3)) as server:
        result = crawl(entry, tmp_path, server.url)
    assert result.code == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert last_run(tmp_path / "kompas.db")["articles_new"] == 3


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_ctrl_c_stops_the_run_cleanly_and_exits_non_zero(entry: str, tmp_path: Path) -> None:
    site = old_site(6, per_day=6)
    for url in site.articles:
        site.script(url, Reply.html("slow", status=500, delay=1.0))
    with OfflineServer(site) as server:
        process = subprocess.Popen(
            command(entry),
            cwd=tmp_path,
            env=environment(tmp_path, server.url),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # a process group, as a terminal's Ctrl-C reaches it
        )
        try:
            deadline = 60.0
            while not any("read" in hit.url for hit in server.hits) and deadline > 0:
                deadline -= 0.05
                subprocess.run(["sleep", "0.05"], check=True)
        finally:
            os.killpg(process.pid, signal.SIGINT)
            _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0
    if entry != "make":
        assert process.returncode == EXIT_CODES["failed"]
    assert "Traceback" not in stderr
    run = last_run(tmp_path / "kompas.db")
    assert (run["status"], run["finish_reason"]) == ("failed", "shutdown")


def test_make_demo_fails_with_its_crawl_and_gives_no_hint() -> None:
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "-o", ".venv/.installed", "demo", "ARGS=-a max_page=3"],
        env={k: v for k, v in os.environ.items() if not k.startswith("KOMPAS_")},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "unknown spider argument -a max_page" in result.stderr
    assert "Try:" not in result.stdout
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------------------- full disk, secrets


def test_a_log_on_a_device_that_is_full_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with OfflineServer(old_site(2, per_day=2)) as server:
        result = crawl("kompas-crawler", tmp_path, server.url, "-s", "LOG_FILE=/dev/full")
    assert result.code == 1
    assert result.stderr == "kompas-crawler crawl: error: No space left on device\n"


@pytest.fixture
def small_disk(tmp_path: Path) -> Path:
    """A 48 KB file system (tmpfs; needs root) that a crawl's log fills part way through."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    folder = tmp_path / "small"
    folder.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", str(folder)], check=True)
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


@pytest.mark.parametrize("entry", ["kompas-crawler", "scrapy"])
def test_a_disk_filling_under_the_log_stops_the_crawl_in_one_line(
    entry: str, tmp_path: Path, small_disk: Path
) -> None:
    log = small_disk / "crawl.log"
    with OfflineServer(old_site(60, per_day=20, per_page=20)) as server:
        result = crawl(
            entry, tmp_path, server.url, "-s", f"LOG_FILE={log}", "-s", "LOG_LEVEL=DEBUG"
        )
    assert result.code == 1
    assert "Logging error" not in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1  # the log is on the full disk: stderr says it
    assert "cannot write the log (No space left on device)" in result.stderr
    run = last_run(tmp_path / "kompas.db")
    assert (run["status"], run["finish_reason"]) == ("failed", "log_unwritable")
    assert run["articles_new"] < 60  # stopped, not run to the end with nothing logged


def test_a_database_password_is_never_stored_or_logged(tmp_path: Path, postgres_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url).set(password="SECRET").render_as_string(hide_password=False)
    with OfflineServer(old_site(2, per_day=2)) as server:
        result = crawl("kompas-crawler", tmp_path, server.url, "-s", f"KOMPAS_DATABASE_URL={url}")
    assert result.code == 0, result.stderr
    log = Path(tmp_path, result.stdout.rsplit("log: ", 1)[1].strip()).read_text()
    assert "Spider closed (finished)" in log and "SECRET" not in log
    assert "SECRET" not in result.stdout + result.stderr
    engine = create_engine(postgres_url)
    with engine.connect() as connection:
        arguments, stats = connection.execute(
            text("SELECT arguments::text, stats::text FROM crawl_runs")
        ).one()
    engine.dispose()
    assert ":***@" in arguments and "SECRET" not in arguments + stats


@pytest.fixture
def read_only_archive(tmp_path: Path) -> Iterator[Path]:
    """An archive (made by a crawl) in a folder mounted read-only (as root) or not writable."""
    folder = tmp_path / "snapshot"
    folder.mkdir()
    with OfflineServer(old_site(2, per_day=2)) as server:
        made = crawl("kompas-crawler", folder, server.url)
    assert made.code == 0, made.stderr
    if os.geteuid() == 0:  # root writes through permission bits: mount the folder read-only
        subprocess.run(["mount", "--bind", str(folder), str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,ro,bind", str(folder)], check=True)
    else:
        folder.chmod(0o555)
    try:
        yield folder / "kompas.db"
    finally:
        if os.geteuid() == 0:
            subprocess.run(["umount", str(folder)], check=True)
        else:
            folder.chmod(0o755)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_crawling_into_a_read_only_archive_exits_2(
    entry: str, tmp_path: Path, read_only_archive: Path
) -> None:
    result = crawl(entry, tmp_path, dead_mirror(), KOMPAS_DATABASE_URL=str(read_only_archive))
    result.assert_outcome(2, "cannot open the database for writing")
    searched = subprocess.run(
        [KOMPAS_CRAWLER, "search", "Global", "--db", str(read_only_archive)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert searched.returncode == 0, searched.stderr
    stats = subprocess.run(
        [KOMPAS_CRAWLER, "stats", "--db", str(read_only_archive)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert stats.returncode == 0, stats.stderr
    assert "articles" in stats.stdout
