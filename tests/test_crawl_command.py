"""``kompas-crawler crawl``: the README's cron recipe, run as cron would, and its exit codes."""

from __future__ import annotations

import os
import re
import socket
import subprocess
from pathlib import Path

import pytest

from kompas_crawler.commands.crawl import parse_pairs, prune_logs
from kompas_crawler.errors import ConfigError
from kompas_crawler.offline import OfflineServer, Reply
from tests.crawling import ROOT, last_run, old_site, query, run_crawl

README = ROOT / "README.md"
PLACEHOLDER = "/home/you/kompas-crawler"


def cron_recipe() -> tuple[str, str]:
    """(schedule, command) of the crontab line in the README's cron section."""
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section: cron -->")[1].split("<!-- /section: cron -->")[0]
    block = re.search(r"```crontab\n(.+?)\n```", section, re.S)
    assert block is not None, "no ```crontab block in the README's cron section"
    fields = block.group(1).strip().split(None, 5)
    return " ".join(fields[:5]), fields[5]


def run_as_cron(command: str, project: Path, mirror: str) -> subprocess.CompletedProcess[str]:
    """The crontab command through /bin/sh with cron's bare environment (plus the mirror)."""
    env = {
        "PATH": "/usr/bin:/bin",
        "SHELL": "/bin/sh",
        "HOME": str(project.parent),
        "LOGNAME": "cron",
        "KOMPAS_MIRROR": mirror,
    }
    return subprocess.run(
        ["/bin/sh", "-c", command.replace(PLACEHOLDER, str(project))],
        cwd="/",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A clone as the recipe expects it: a folder with .venv (this one's)."""
    folder = tmp_path / "kompas-crawler"
    folder.mkdir()
    (folder / ".venv").symlink_to(ROOT / ".venv")
    return folder


def test_the_readme_cron_recipe_runs_quietly_and_logs_to_data_logs(project: Path) -> None:
    schedule, command = cron_recipe()
    assert schedule == "*/15 * * * *"
    assert PLACEHOLDER in command
    with OfflineServer(old_site(2, per_day=2, per_page=10)) as server:
        ok = run_as_cron(command, project, server.url)
    assert (ok.returncode, ok.stdout, ok.stderr) == (0, "", "")
    logs = list((project / "data" / "logs").glob("crawl-*.log"))
    assert len(logs) == 1
    assert "Spider closed (finished)" in logs[0].read_text(encoding="utf-8")
    assert query(project / "data" / "kompas.db", "SELECT count(*) FROM articles") == [(2,)]


def test_an_unreachable_site_exits_1_with_one_line_naming_the_log(tmp_path: Path) -> None:
    with socket.socket() as unused:  # a port nobody listens on
        unused.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{unused.getsockname()[1]}"
    failed = run_crawl(tmp_path, dead, "-s", "RETRY_TIMES=1", quiet=True)
    assert failed.returncode == 1
    assert failed.stdout == ""
    assert "site unreachable" in failed.stderr
    assert "data/logs/crawl-" in failed.stderr  # what failed, and where its log is
    assert len(failed.stderr.strip().splitlines()) == 1
    assert last_run(tmp_path / "kompas.db")["status"] == "failed"


def test_a_bad_argument_exits_2_before_crawling(tmp_path: Path) -> None:
    result = run_crawl(tmp_path, "http://127.0.0.1:9", "-a", "start_date=2022-13-01")
    assert result.returncode == 2
    assert "start_date='2022-13-01' is not a date" in result.stderr


def test_errors_and_no_articles_exit_1_and_the_run_is_recorded_failed(tmp_path: Path) -> None:
    site = old_site(4, per_day=4, per_page=10)
    for url in site.articles:
        site.script(url, Reply.html("down", status=500))
    with OfflineServer(site) as server:
        result = run_crawl(tmp_path, server.url, "-s", "RETRY_TIMES=1")
    assert result.returncode == 1
    assert "errors and no article stored" in result.stderr
    run = last_run(tmp_path / "kompas.db")
    assert (run["status"], run["finish_reason"], run["articles_new"]) == (
        "failed",
        "finished: errors and no article stored",  # why, not a bare "finished"
        0,
    )
    assert run["responses_by_status"] == '{"200": 3, "500": 8}'  # robots.txt twice, the index


@pytest.mark.parametrize(
    ("pairs", "parsed"),
    [([], {}), (["a=1", "b=x=y", "c="], {"a": "1", "b": "x=y", "c": ""})],
)
def test_name_value_pairs(pairs: list[str], parsed: dict[str, str]) -> None:
    assert parse_pairs(pairs, "-a") == parsed


def test_a_pair_without_a_value_is_refused() -> None:
    with pytest.raises(ConfigError, match="expected NAME=VALUE"):
        parse_pairs(["start_date"], "-a")


def test_old_logs_are_pruned(tmp_path: Path) -> None:
    old, new, other = tmp_path / "crawl-1.log", tmp_path / "crawl-2.log", tmp_path / "notes.log"
    for path in (old, new, other):
        path.write_text("x")
    os.utime(old, (0, 0))
    os.utime(other, (0, 0))
    prune_logs(tmp_path, keep_days=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["crawl-2.log", "notes.log"]
