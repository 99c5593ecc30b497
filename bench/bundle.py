"""The desktop bundle in dist/ (`make bundle`): what it weighs and how fast it opens, warm.

Launch to window ready is the time from starting the bundle's executable until the page has
loaded in its window (QtWebEngine under Xvfb on Linux) and its thread list has been answered:
the app is usable. The median of warm launches after one launch that fills the OS's file cache.
The data directory is a fresh one with the built-in client chosen, so nothing waits for
OpenAI's CDN. The shown window and the page's load event are reported beside it.

Without a built bundle this section reports that and measures nothing: build it first.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

from bench.results import Result

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from bundle_launch import launch, xvfb_if_needed  # noqa: E402
from bundle_layout import DIST, bundle_dir, executable, measure  # noqa: E402
from bundle_rules import archive_name  # noqa: E402
from chatkit_desktop import __version__  # noqa: E402

WARM_RUNS = 7
MB = 1_000_000
# Issue #8's budgets: Linux draws with Qt's own Chromium; Windows and macOS use the system's.
SIZE_BUDGETS = {"Linux": (400, 160), "Windows": (80, 80), "Darwin": (80, 80)}
LAUNCH_TARGET_MS = 1500.0


async def run(work: Path) -> list[Result]:
    system = platform.system()
    bundle = bundle_dir(DIST, system)
    exe = executable(bundle, system)
    if not exe.exists():
        return [Result("bundle", f"not built: run `make bundle` ({exe} is missing)", 0, "count")]
    unpacked_budget, archive_budget = SIZE_BUDGETS.get(system, (None, None))
    size = measure(bundle)
    results = [
        Result("bundle", "unpacked size", size.mb, "MB", unpacked_budget, f"{size.files} files"),
    ]
    archive = DIST / archive_name(__version__, system, platform.machine())
    if archive.exists():
        results.append(
            Result(
                "bundle",
                "archive size",
                archive.stat().st_size / MB,
                "MB",
                archive_budget,
                archive.name,
            )
        )
    results += _launch_times(exe, work)
    return results


def _launch_times(exe: Path, work: Path) -> list[Result]:
    work.mkdir(parents=True, exist_ok=True)
    data = Path(tempfile.mkdtemp(prefix="data-", dir=work))
    (data / "settings.json").write_text('{"interface": "builtin"}\n', encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATKIT_DESKTOP_")}
    env["OPENAI_API_KEY"] = "sk-bench-not-used"
    runs = []
    with xvfb_if_needed() as display:
        if display:
            env["DISPLAY"] = display
        for _ in range(WARM_RUNS + 1):
            runs.append(launch(exe, env, ["--data-dir", str(data)], work / "line.txt", {}))
    bad = [r for r in runs if r["exit_code"] != 0 or r["threads_listed_s"] is None]
    if bad:
        raise RuntimeError(f"the bundle did not start cleanly: {bad[0]['stderr'][-2000:]}")
    warm = runs[1:]

    def p50_ms(name: str) -> float:
        return float(statistics.median(r[name] for r in warm)) * 1000

    ready = [r["threads_listed_s"] * 1000 for r in warm]
    rss = statistics.median(r["report"].get("rss_kb") or 0 for r in warm) / 1024
    return [
        Result(
            "bundle",
            "launch to window ready (page loaded, its thread list answered), warm, p50",
            p50_ms("threads_listed_s"),
            "ms",
            LAUNCH_TARGET_MS,
            f"min {min(ready):.0f} ms, max {max(ready):.0f} ms over {WARM_RUNS} launches; "
            f"first launch {runs[0]['threads_listed_s'] * 1000:.0f} ms",
        ),
        Result("bundle", "launch to window shown, warm, p50", p50_ms("window_shown_s"), "ms"),
        Result(
            "bundle",
            "launch to page loaded, warm, p50",
            p50_ms("window_ready_s"),
            "ms",
            note="the page's load event, before the probe asks for the threads",
        ),
        Result(
            "bundle",
            "app process memory at page load, p50",
            rss,
            "MB",
            note="the Agents SDK not loaded yet; QtWebEngine's own processes not counted",
        ),
    ]
