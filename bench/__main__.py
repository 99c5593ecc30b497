"""`python -m bench [--only SECTION,...] [--json PATH]`: run the benchmark, print a Markdown
table, write JSON, exit 1 when a target is missed by more than 2x (see results.py)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import tempfile
import time
from pathlib import Path

from bench.results import FAIL_FACTOR, Result, machine, markdown, write_json

SECTIONS = ("history", "turn", "concurrency", "startup", "bundle")
ROOT = Path(__file__).resolve().parent


async def _run(sections: list[str], work: Path) -> list[Result]:
    results: list[Result] = []
    for name in sections:
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        print(f"## {name} …", file=sys.stderr, flush=True)
        results += await module.run(work / name)
        print(f"   {name} took {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", default=",".join(SECTIONS), help="sections, comma-separated")
    parser.add_argument("--json", type=Path, default=ROOT / "results" / "latest.json")
    args = parser.parse_args(argv)
    sections = [s for s in args.only.split(",") if s]
    unknown = [s for s in sections if s not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s): {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    logging.basicConfig(level=logging.WARNING)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="chatkit-bench-") as tmp:
        results = asyncio.run(_run(sections, Path(tmp)))
    seconds = time.monotonic() - started
    info = machine()
    print(f"chatkit-desktop benchmark, {info['when']}: {info['cpu']}, {info['cores']} cores, ")
    print(f"{info['memory_gib']} GiB, Python {info['python']}, SQLite {info['sqlite']}\n")
    print(markdown(results))
    print(f"\n{len(results)} numbers in {seconds:.0f} s; JSON in {args.json}")
    write_json(args.json, results, seconds)
    failed = [r for r in results if r.verdict == "FAILED"]
    missed = [r for r in results if r.verdict == "missed"]
    if missed:
        print(f"{len(missed)} target(s) missed by less than {FAIL_FACTOR:g}x.")
    if failed:
        print(f"{len(failed)} target(s) missed by more than {FAIL_FACTOR:g}x:", file=sys.stderr)
        for r in failed:
            print(
                f"  {r.section}: {r.metric} = {r.value:.2f} {r.unit} (target {r.target})",
                file=sys.stderr,
            )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
