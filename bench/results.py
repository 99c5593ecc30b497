"""One measured number, its target, and the verdict; the Markdown table and the JSON file."""

from __future__ import annotations

import json
import os
import platform
import sqlite3
import statistics
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

Verdict = Literal["ok", "missed", "FAILED", "-"]

# A target missed by more than this factor fails the run (exit 1): a regression guard that
# tolerates a slower machine.
FAIL_FACTOR = 2.0


@dataclass(frozen=True)
class Result:
    section: str  # "history", "turn", "concurrency", "startup"
    metric: str  # what a reader looks for, e.g. "threads.list, first page, p95"
    value: float
    unit: str  # "ms", "MB", "x", "%", "bytes", "deltas/s", "count"
    target: float | None = None  # an upper bound: value <= target meets it
    note: str = ""  # context: p50, the reference's value, sample size

    @property
    def verdict(self) -> Verdict:
        if self.target is None:
            return "-"
        if self.value <= self.target:
            return "ok"
        if self.value <= self.target * FAIL_FACTOR:
            return "missed"
        return "FAILED"


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; samples need not be sorted."""
    if not samples:
        raise ValueError("no samples")
    if len(samples) == 1:
        return samples[0]
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    if q <= 0:
        return ordered[0]
    if q >= 100:
        return ordered[-1]
    return cuts[int(q) - 1]


def _fmt(value: float, unit: str) -> str:
    if unit in ("count", "bytes"):
        return f"{value:,.0f} {unit}"
    if unit == "x":
        return f"{value:.2f}×"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}"
    return f"{value:.2f} {unit}"


def markdown(results: list[Result]) -> str:
    lines = [
        "| section | metric | value | target | verdict | note |",
        "| --- | --- | ---: | ---: | --- | --- |",
    ]
    for r in results:
        target = "" if r.target is None else f"≤ {_fmt(r.target, r.unit)}"
        lines.append(
            f"| {r.section} | {r.metric} | {_fmt(r.value, r.unit)} | {target} | {r.verdict} "
            f"| {r.note} |"
        )
    return "\n".join(lines)


def machine() -> dict[str, object]:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                platform.processor(),
            )
    except OSError:
        model = platform.processor()
    try:
        with open("/proc/meminfo", encoding="utf-8") as info:
            mem_kb = int(next(line.split()[1] for line in info if line.startswith("MemTotal")))
    except (OSError, StopIteration, ValueError):
        mem_kb = 0
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
    }


def write_json(path: Path, results: list[Result], seconds: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {
        "machine": machine(),
        "seconds": round(seconds, 1),
        "fail_factor": FAIL_FACTOR,
        "results": [{**asdict(r), "verdict": r.verdict} for r in results],
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
