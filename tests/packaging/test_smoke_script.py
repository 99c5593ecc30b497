"""packaging/smoke's own logic: it fails loudly without a bundle, looks for the app's files
where the OS keeps them, and finds a key written anywhere. (`make test` runs it for real on the
built bundle after pytest.)"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "packaging" / "smoke"


def _load_smoke():
    loader = importlib.machinery.SourceFileLoader("packaging_smoke", str(SMOKE))
    spec = importlib.util.spec_from_loader("packaging_smoke", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.mark.slow
def test_without_a_bundle_it_fails_and_says_how_to_build_one(tmp_path):
    report = tmp_path / "smoke.json"
    done = subprocess.run(
        [sys.executable, str(SMOKE), "--bundle", str(tmp_path / "none"), "--json", str(report)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "run `make bundle` first" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    failures = json.loads(report.read_text())["failures"]
    assert len(failures) == 1 and "no built app" in failures[0]


def test_it_expects_the_data_and_the_log_in_the_os_places(tmp_path):
    smoke = _load_smoke()
    home = tmp_path / "home"
    if sys.platform == "darwin":
        data, logs = smoke.data_and_log_dirs({"HOME": str(home)}, None)
        assert data == home / "Library" / "Application Support" / "chatkit-desktop"
        assert logs == home / "Library" / "Logs" / "chatkit-desktop"
    elif sys.platform.startswith("linux"):
        data, logs = smoke.data_and_log_dirs({"HOME": str(home)}, None)
        assert data == home / ".local" / "share" / "chatkit-desktop"
        assert logs == home / ".local" / "state" / "chatkit-desktop" / "log"
        env = {"HOME": str(home), "XDG_DATA_HOME": "/x/data", "XDG_STATE_HOME": "/x/state"}
        assert smoke.data_and_log_dirs(env, None) == (
            Path("/x/data/chatkit-desktop"),
            Path("/x/state/chatkit-desktop/log"),
        )
    given = tmp_path / "given"
    assert smoke.data_and_log_dirs({"HOME": str(home)}, given) == (given, given / "logs")


def test_a_key_is_found_in_any_file_below_the_root(tmp_path):
    smoke = _load_smoke()
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "settings.json").write_text('{"k": "' + smoke.KEY + '"}')
    (tmp_path / "a" / "clean.log").write_text("nothing here")
    assert smoke.files_containing(tmp_path, smoke.KEY.encode()) == [
        str(tmp_path / "a" / "b" / "settings.json")
    ]
