"""Reproducible installs: every Makefile install takes constraints.txt, and `make lock` (the
documented way to upgrade) rebuilds it from a fresh virtualenv."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.crawling import ROOT

PIN = re.compile(r"^[A-Za-z0-9_.\-]+==[^=\s]+$")


def pins(path: Path) -> dict[str, str]:
    lines = [line for line in path.read_text().splitlines() if line and not line.startswith("#")]
    assert all(PIN.match(line) for line in lines), "every line is NAME==VERSION"
    return {line.split("==")[0].lower(): line.split("==")[1] for line in lines}


def test_constraints_pin_every_dependency_and_nothing_of_ours() -> None:
    pinned = pins(ROOT / "constraints.txt")
    for name in ("scrapy", "sqlalchemy", "lxml", "rich", "pytest", "ruff", "mypy", "pip"):
        assert name in pinned, name
    assert "kompas-crawler" not in pinned


def test_every_makefile_install_uses_the_constraints() -> None:
    dry = subprocess.run(
        ["make", "-n", "-B", "-C", str(ROOT), ".venv/.installed", "lint"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installs = [line for line in dry.splitlines() if "pip install" in line]
    assert len(installs) >= 3
    assert all("-c constraints.txt" in line for line in installs), installs


def test_make_lock_rebuilds_the_constraints_from_a_fresh_venv(tmp_path: Path) -> None:
    out = tmp_path / "constraints.txt"
    result = subprocess.run(
        ["make", "-s", "-C", str(ROOT), "lock", f"CONSTRAINTS={out}",
         f"LOCK_VENV={tmp_path / 'venv'}"],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "pinned packages" in result.stdout
    assert pins(out).keys() == pins(ROOT / "constraints.txt").keys()
    assert not (tmp_path / "venv").exists()  # the lock venv is thrown away


def test_the_readme_first_command_works_on_a_fresh_clone(tmp_path: Path) -> None:
    """`make crawl` on a fresh clone of this commit: installs from the pins, crawls (the offline
    site through KOMPAS_MIRROR), exits 0; and exits non-zero when the site is unreachable."""
    from kompas_crawler.offline import OfflineServer
    from tests.crawling import crawl_env, old_site

    clone = tmp_path / "kompas-crawler"
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    fast = "ARGS=-s AUTOTHROTTLE_ENABLED=False -s DOWNLOAD_DELAY=0"
    with OfflineServer(old_site(2, per_day=2)) as server:
        env = crawl_env(server.url, clone / "data" / "kompas.db")
        env.pop("KOMPAS_DATABASE_URL")  # the README's default: data/kompas.db in the clone
        ok = subprocess.run(
            ["make", "-s", "crawl", fast], cwd=clone, env=env, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "kompas-crawler crawl: run ok (2 new" in ok.stdout
    installed = subprocess.run(
        [str(clone / ".venv" / "bin" / "python"), "-m", "pip", "freeze", "--exclude-editable"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert set(pins(ROOT / "constraints.txt").items()) >= {
        (line.split("==")[0].lower(), line.split("==")[1])
        for line in installed.splitlines()
        if "==" in line
    }  # every installed version is the pinned one
    env["KOMPAS_MIRROR"] = "http://127.0.0.1:9"
    down = subprocess.run(
        ["make", "-s", "crawl", fast + " -s RETRY_TIMES=0"], cwd=clone, env=env,
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert down.returncode != 0
    assert "run failed: site unreachable" in down.stderr
    assert "Traceback" not in down.stderr
