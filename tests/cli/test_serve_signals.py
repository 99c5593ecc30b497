"""How `serve` hears SIGINT and SIGTERM: the loop's own handlers where asyncio has them (POSIX),
plain `signal.signal` handlers where it does not (Windows), in process and without stopping
pytest (every real signal below is raised only once a handler that catches it is in place)."""

from __future__ import annotations

import asyncio
import signal
import sys

import pytest

from chatkit_desktop.cli.serve import STOP_SIGNALS, install_stop_signals


def no_loop_signals(monkeypatch: pytest.MonkeyPatch, loop: asyncio.AbstractEventLoop) -> None:
    """Make `loop` behave like a Windows event loop (asyncio's BaseEventLoop raises this)."""

    def add_signal_handler(sig: int, callback: object, *args: object) -> None:
        raise NotImplementedError

    monkeypatch.setattr(loop, "add_signal_handler", add_signal_handler)


def test_sigint_and_sigterm_stop_serve_everywhere_and_sigbreak_on_windows():
    assert signal.SIGINT in STOP_SIGNALS and signal.SIGTERM in STOP_SIGNALS
    assert (getattr(signal, "SIGBREAK", None) in STOP_SIGNALS) is (sys.platform == "win32")


async def test_without_loop_signal_handlers_plain_handlers_set_stop_through_the_loop(monkeypatch):
    loop = asyncio.get_running_loop()
    no_loop_signals(monkeypatch, loop)
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        stop = asyncio.Event()
        uninstall = install_stop_signals(loop, stop)
        try:
            handler = signal.getsignal(sig)
            assert callable(handler) and handler is not before[sig]
            handler(sig, None)  # what the interpreter does when the signal arrives
            # Not set inside the handler (it may interrupt the loop anywhere), but by the loop.
            assert not stop.is_set()
            await asyncio.wait_for(stop.wait(), 5)
        finally:
            uninstall()
        assert {s: signal.getsignal(s) for s in STOP_SIGNALS} == before


async def test_a_real_signal_reaches_the_plain_handler(monkeypatch):
    loop = asyncio.get_running_loop()
    no_loop_signals(monkeypatch, loop)
    stop = asyncio.Event()
    previous = signal.getsignal(signal.SIGTERM)
    uninstall = install_stop_signals(loop, stop)
    try:
        # Only with our handler in place may the signal be raised (the default would end pytest).
        handler = signal.getsignal(signal.SIGTERM)
        assert callable(handler) and handler not in (previous, signal.SIG_DFL, signal.SIG_IGN)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), 5)
    finally:
        uninstall()
    assert signal.getsignal(signal.SIGTERM) == previous


async def test_where_the_loop_has_signal_handlers_it_gets_them_and_gives_them_back(monkeypatch):
    loop = asyncio.get_running_loop()
    added: list[tuple[int, object]] = []
    removed: list[int] = []

    def add_signal_handler(sig: int, callback: object, *args: object) -> None:
        added.append((sig, callback))

    def remove_signal_handler(sig: int) -> bool:
        removed.append(sig)
        return True

    monkeypatch.setattr(loop, "add_signal_handler", add_signal_handler)
    monkeypatch.setattr(loop, "remove_signal_handler", remove_signal_handler)
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    stop = asyncio.Event()
    uninstall = install_stop_signals(loop, stop)
    assert added == [(sig, stop.set) for sig in STOP_SIGNALS]
    assert {sig: signal.getsignal(sig) for sig in STOP_SIGNALS} == before  # no plain handler
    uninstall()
    assert removed == list(STOP_SIGNALS)
    uninstall()  # twice is harmless
    assert removed == list(STOP_SIGNALS)


@pytest.mark.skipif(sys.platform == "win32", reason="Windows event loops have no signal handlers")
async def test_on_posix_a_real_sigterm_sets_stop_through_the_loop():
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    uninstall = install_stop_signals(loop, stop)
    try:
        # The loop's handler is in place (asyncio installs a no-op Python-level handler and
        # wakes through set_wakeup_fd), so raising the signal cannot end pytest.
        assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, signal.SIG_IGN, None)
        signal.raise_signal(signal.SIGTERM)
        await asyncio.wait_for(stop.wait(), 5)
    finally:
        uninstall()
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL
