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
