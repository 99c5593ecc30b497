"""The bundle section: what it reports without a bundle, and sizes judged against the budgets.
(Launch times need the real bundle: `make bench` after `make bundle`; `make test` runs
packaging/smoke on it.)"""

from __future__ import annotations

import platform

import pytest

import bench.bundle as bundle_bench
from bench.results import Result


async def test_without_a_built_bundle_it_says_so_and_measures_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(bundle_bench, "DIST", tmp_path / "dist")
    results = await bundle_bench.run(tmp_path / "work")
    assert len(results) == 1
    assert results[0].metric.startswith("not built: run `make bundle`")
    assert results[0].verdict == "-"


@pytest.mark.skipif(platform.system() != "Linux", reason="the Linux layout and budgets")
async def test_sizes_are_judged_against_the_linux_budgets(tmp_path, monkeypatch):
    dist = tmp_path / "dist"
    app = dist / "chatkit-desktop"
    (app / "_internal").mkdir(parents=True)
    (app / "chatkit-desktop").write_bytes(b"x" * 1000)
    (app / "_internal" / "big.so").write_bytes(b"\0" * 2_500_000)
    archive = dist / bundle_bench.archive_name(
        bundle_bench.__version__, "Linux", platform.machine()
    )
    archive.write_bytes(b"\0" * 1_200_000)
    monkeypatch.setattr(bundle_bench, "DIST", dist)
    monkeypatch.setattr(bundle_bench, "_launch_times", lambda exe, work: [])
    monkeypatch.setattr(bundle_bench, "SIZE_BUDGETS", {"Linux": (2, 1)})
    results = {r.metric: r for r in await bundle_bench.run(tmp_path / "work")}
    unpacked, packed = results["unpacked size"], results["archive size"]
    assert unpacked == Result("bundle", "unpacked size", 2.501, "MB", 2, "2 files")
    assert unpacked.verdict == "missed"  # 2.5 MB against 2 MB: over, but within 2x
    assert packed.value == pytest.approx(1.2)
    assert packed.verdict == "missed"
