"""The benchmark's verdicts and exit code: what makes `make bench` a regression guard."""

from __future__ import annotations

import json
import types
from pathlib import Path

import pytest

import bench.__main__ as bench_main
from bench.results import FAIL_FACTOR, Result, markdown, percentile, write_json


def test_a_target_met_missed_or_failed_by_its_factor() -> None:
    assert Result("s", "m", 10.0, "ms", 10.0).verdict == "ok"
    assert Result("s", "m", 10.0 * FAIL_FACTOR, "ms", 10.0).verdict == "missed"
    assert Result("s", "m", 10.0 * FAIL_FACTOR + 0.01, "ms", 10.0).verdict == "FAILED"
    assert Result("s", "m", 123.0, "ms").verdict == "-"


def test_percentiles_interpolate_between_samples() -> None:
    samples = [float(n) for n in range(1, 101)]  # 1..100, shuffled below
    shuffled = samples[50:] + samples[:50]
    assert percentile(shuffled, 50) == pytest.approx(50.5)
    assert percentile(shuffled, 95) == pytest.approx(95.05)
    assert percentile(shuffled, 0) == 1.0
    assert percentile(shuffled, 100) == 100.0
    assert percentile([7.0], 95) == 7.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_the_table_shows_value_target_and_verdict() -> None:
    table = markdown(
        [
            Result("turn", "first delta, p50", 87.5, "ms", 5.0, "p95 103 ms"),
            Result("history", "bytes per 1,000 items", 2_341_335, "bytes"),
            Result("history", "ratio", 0.64, "x", 3.0),
        ]
    )
    lines = table.splitlines()
    assert lines[0] == "| section | metric | value | target | verdict | note |"
    assert "| turn | first delta, p50 | 87.50 ms | ≤ 5.00 ms | FAILED | p95 103 ms |" in lines
    assert "| history | bytes per 1,000 items | 2,341,335 bytes |  | - |  |" in lines
    assert "| history | ratio | 0.64× | ≤ 3.00× | ok |  |" in lines


def test_the_json_holds_every_number_with_its_verdict(tmp_path: Path) -> None:
    path = tmp_path / "out" / "latest.json"
    write_json(path, [Result("startup", "rss", 142.0, "MB", 120.0)], 12.34)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["seconds"] == 12.3
    assert data["fail_factor"] == FAIL_FACTOR
    assert data["machine"]["cores"] and data["machine"]["python"]
    assert data["results"] == [
        {
            "section": "startup",
            "metric": "rss",
            "value": 142.0,
            "unit": "MB",
            "target": 120.0,
            "note": "",
            "verdict": "missed",
        }
    ]


def _fake_section(results: list[Result]) -> types.ModuleType:
    module = types.ModuleType("bench.fake")

    async def run(work: Path) -> list[Result]:
        assert work.name == "history"  # each section gets its own work directory
        return results

    module.run = run  # type: ignore[attr-defined]
    return module


@pytest.mark.parametrize(
    ("value", "code"),
    [(4.0, 0), (9.0, 0), (11.0, 1)],  # met; missed by less than 2x; missed by more
)
def test_make_bench_fails_only_when_a_target_is_missed_by_more_than_twice(
    value: float,
    code: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    section = _fake_section([Result("history", "a call, p95", value, "ms", 5.0)])
    monkeypatch.setattr(bench_main.importlib, "import_module", lambda name: section)
    out = tmp_path / "latest.json"
    assert bench_main.main(["--only", "history", "--json", str(out)]) == code
    printed = capsys.readouterr()
    assert "| history | a call, p95 |" in printed.out
    assert json.loads(out.read_text(encoding="utf-8"))["results"][0]["value"] == value
    if code:
        assert "missed by more than 2x" in printed.err
        assert "a call, p95 = 11.00 ms (target 5.0)" in printed.err


def test_an_unknown_section_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        bench_main.main(["--only", "histroy"])
    assert exit_.value.code == 2
    assert "unknown section(s): histroy" in capsys.readouterr().err
