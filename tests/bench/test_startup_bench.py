"""The start-up section's memory readings: /proc status parsed into a footprint, the thread id
found in a streamed answer. (The numbers themselves belong to `make bench`, not to tests.)"""

from __future__ import annotations

import json
import os
import sys

import pytest

from bench.startup import Footprint, _thread_id

STATUS = """Name:\tpython
VmHWM:\t  149912 kB
VmRSS:\t  145664 kB
RssAnon:\t  120884 kB
RssFile:\t   24780 kB
RssShmem:\t       0 kB
Threads:\t6
"""


def test_a_status_file_gives_resident_memory_split_into_own_and_file_backed() -> None:
    footprint = Footprint.parse(STATUS)
    assert footprint == Footprint(
        rss_mb=145664 / 1024, anon_mb=120884 / 1024, file_mb=24780 / 1024, threads=6
    )
    assert footprint.describe() == (
        "118 MB the process's own, 24 MB file-backed "
        "(interpreter, libraries, extension modules); 6 threads"
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
def test_the_footprint_of_a_live_process_adds_up() -> None:
    footprint = Footprint.of(os.getpid())
    assert footprint.threads >= 1
    assert footprint.anon_mb > 0
    assert footprint.file_mb > 0
    # RssShmem is the third part of VmRSS; a test process has next to none.
    assert footprint.anon_mb + footprint.file_mb <= footprint.rss_mb + 0.01


def test_the_new_thread_is_read_from_the_stream() -> None:
    created = {"type": "thread.created", "thread": {"id": "thr_0123abcd", "title": None}}
    sse = f"data: {json.dumps({'type': 'progress_update'})}\n\ndata: {json.dumps(created)}\n\n"
    assert _thread_id(sse) == "thr_0123abcd"
    with pytest.raises(RuntimeError, match=r"no thread\.created"):
        _thread_id('data: {"type": "error"}\n\n')
