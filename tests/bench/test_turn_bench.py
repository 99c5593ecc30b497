"""The turn section's arithmetic: what the server adds is compared round by round, and the
client's scan counts every text delta however the bytes are cut."""

from __future__ import annotations

import pytest

from bench.turn import TEXT_DELTA, Measured, Samples, Scanner, Turn, paired, ratio, results


def _samples(totals: list[float], firsts: list[float]) -> Samples:
    return Samples([Turn(f / 1000, t / 1000, 500) for t, f in zip(totals, firsts, strict=True)])


def test_what_the_server_adds_is_taken_round_by_round() -> None:
    # Round 2 ran in a slow phase of the machine for both paths: the pairs still agree.
    direct = _samples([80, 160, 80, 80, 80], [10, 20, 10, 10, 10])
    server = _samples([96, 192, 96, 100, 92], [13, 26, 13, 12, 14])
    in_process = _samples([90, 180, 90, 90, 90], [12, 24, 12, 11, 13])
    by_metric = {r.metric: r for r in results(Measured(server, in_process, direct))}

    first = by_metric["first text delta, added by the server, p50"]
    assert first.value == pytest.approx(3.0)  # differences 3, 6, 3, 2, 4
    assert first.verdict == "ok"
    total = by_metric["turn total, added by the server, p50"]
    assert total.value == pytest.approx(20.0)  # ratios 1.2, 1.2, 1.2, 1.25, 1.15
    assert total.verdict == "missed"
    assert "without HTTP +12 %" in total.note
    rate = by_metric["text deltas per second through the server, p50"]
    assert rate.value == pytest.approx(500 / 0.096)


def test_paired_statistics() -> None:
    assert paired([5, 7, 9], [1, 2, 3]) == 5
    assert paired([5, 7, 9], [1, 2, 3], 100) == 6
    assert ratio([2, 9, 4], [1, 3, 4]) == 2
    with pytest.raises(ValueError):
        paired([1, 2], [1])


def test_the_scanner_counts_deltas_split_across_reads() -> None:
    event = b'data: {"type":' + TEXT_DELTA + b',"delta":"w"}\n\n'
    stream = event * 7 + b'data: {"type":"thread.item.done"}\n\n'
    scanner = Scanner()
    for start in range(0, len(stream), 5):  # cut everywhere, markers included
        scanner.feed(stream[start : start + 5])
    assert scanner.deltas == 7 and scanner.first is not None and not scanner.error
    broken = Scanner()
    broken.feed(b'data: {"type":"error","code":"stream.error"}\n\n')
    assert broken.error and broken.deltas == 0
