"""stats --by month|day: a bar per period in the terminal, and --plot FILE.png|FILE.svg."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from kompas_crawler.cli import main
from kompas_crawler.commands._charts import period_chart
from tests.test_query import make_archive

ROWS = [
    {"period": "2022-01", "articles": 30},
    {"period": "2022-02", "articles": 15},
    {"period": "2022-03", "articles": 1},
]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("charts") / "kompas.db"
    make_archive(path).dispose()
    return f"sqlite:///{path}"


@pytest.mark.parametrize("columns", [50, 120])
def test_plain_bars_fit_the_width(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    chart = period_chart(ROWS, "Month (WIB)", io.StringIO())
    assert chart is not None
    lines = chart.splitlines()[2:]
    assert all(len(line) <= columns for line in chart.splitlines())
    bars = [line.count("#") for line in lines]
    assert bars[0] == columns - len("Month (WIB)") - len("Articles") - 4
    assert bars[0] > bars[1] > bars[2] >= 1
    assert abs(bars[1] / bars[0] - 0.5) < 0.05
    assert "\x1b" not in chart


def test_terminal_bars_drawn_with_rich(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "70")
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    out = Terminal()
    assert period_chart(ROWS, "Month (WIB)", out) is None
    text = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())
    lines = [line for line in text.splitlines() if "2022-" in line]
    assert len(lines) == 3 and all(len(line) <= 70 for line in text.splitlines())
    assert lines[0].count("█") > lines[1].count("█") > lines[2].count("█")
    assert "30" in lines[0] and "\x1b[" in out.getvalue()


def test_stats_json_has_no_chart(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert main(["stats", "--by", "day", "--json", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "#" not in out and "█" not in out
    assert json.loads(out)["by"] == "day"


def test_stats_by_day_draws_a_bar_per_day(capsys: pytest.CaptureFixture[str], db: str) -> None:
    assert main(["stats", "--by", "day", "--db", db]) == 0
    out = capsys.readouterr().out
    day_lines = [line for line in out.splitlines() if re.match(r"2022-\d\d-\d\d ", line)]
    assert len(day_lines) == 7 and all(line.rstrip().endswith("#") for line in day_lines)


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_writes_a_readable_chart(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"chart.{suffix}"
    assert main(["stats", "--db", db, "--plot", str(target)]) == 0
    assert f"chart written to {target}" in capsys.readouterr().err
    data = target.read_bytes()
    if suffix == "png":
        assert data.startswith(b"\x89PNG") and len(data) > 5_000
    else:
        svg = data.decode()
        assert "<svg" in svg and svg.count("<path") > 3


def test_plot_labels(db: str, tmp_path: Path) -> None:
    import matplotlib

    target = tmp_path / "chart.svg"
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text as <text>: labels readable
        assert main(["stats", "--db", db, "--plot", str(target), "--json"]) == 0
    svg = target.read_text()
    for label in ("Month (WIB)", "Articles", "2022-01", "2022-02", "2022-03"):
        assert label in svg, label


@pytest.mark.parametrize(
    ("plot", "message"),
    [("chart.pdf", "give a file ending in .png or .svg"), ("no/such/dir/c.png", "cannot write")],
)
def test_plot_bad_file(
    capsys: pytest.CaptureFixture[str], db: str, tmp_path: Path, plot: str, message: str
) -> None:
    assert main(["stats", "--db", db, "--plot", str(tmp_path / plot)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
