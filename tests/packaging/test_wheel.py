"""The installed app must carry its page: `web/` goes inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile

import pytest

pytestmark = pytest.mark.slow


def test_wheel_contains_the_web_assets_and_the_package(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            ".",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("chatkit_desktop-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "chatkit_desktop/web/index.html" in names
    assert "chatkit_desktop/web/app.js" in names
    assert "chatkit_desktop/store/migrations.py" in names
    assert any(n.endswith("entry_points.txt") for n in names)
