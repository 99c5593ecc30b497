"""A virtual X display (Xvfb) for the window's tests, started here and torn down after."""

from __future__ import annotations

import importlib.util
import shutil
from collections.abc import Iterator

import pytest

from chatkit_desktop.testing.xvfb import SCREEN, XvfbUnavailable, private_xvfb


def _skip_unless_window_possible() -> None:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is missing (scripts/bootstrap test installs packaging/apt/test.txt)")
    if importlib.util.find_spec("PyQt6") is None or importlib.util.find_spec("webview") is None:
        pytest.skip("pywebview[qt] is missing (scripts/bootstrap run installs it)")


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """`:N` of a private Xvfb for this test session (chatkit_desktop.testing.xvfb)."""
    _skip_unless_window_possible()
    try:
        with private_xvfb(SCREEN) as display:
            yield display
    except XvfbUnavailable as exc:
        pytest.fail(str(exc))
