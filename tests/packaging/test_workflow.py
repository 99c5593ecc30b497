"""The bundle workflow (.github/workflows/bundle.yml), read as GitHub would run it: three systems,
each builds and smoke-tests its bundle and uploads it; a tag v* makes a release with the archives.

GitHub Actions cannot run here, so these tests read the file (PyYAML, a dev dependency).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "bundle.yml"

RUNNERS = {"ubuntu-22.04": "Linux", "windows-latest": "Windows", "macos-latest": "macOS"}
ARCHIVES = ("dist/chatkit-desktop-*.tar.xz", "dist/chatkit-desktop-*.zip")


# ---- what GitHub would run ----------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    # YAML 1.1 (PyYAML) reads the key `on` as true; GitHub reads it as "on".
    return {("on" if key is True else key): value for key, value in document.items()}


def runs(condition: str | None, runner_os: str) -> bool:
    """Whether a step runs on `runner_os` when every step before it passed. Knows the
    expressions the workflow uses and fails on any other, so this test keeps up with it."""
    if condition is None:
        return True
    text = condition.strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2].strip()
    verdict = True
    for term in (part.strip() for part in text.split("&&")):
        if match := re.fullmatch(r"runner\.os\s*(==|!=)\s*'(\w+)'", term):
            verdict &= (match[2] == runner_os) == (match[1] == "==")
        elif term in ("!cancelled()", "success()", "always()"):
            pass
        elif term == "failure()":
            verdict = False
        else:
            raise AssertionError(f"an `if:` this test cannot judge: {condition!r}")
    return verdict


def steps_on(workflow: dict[str, Any], runner_os: str) -> list[dict[str, Any]]:
    return [s for s in workflow["jobs"]["bundle"]["steps"] if runs(s.get("if"), runner_os)]


def commands(steps: list[dict[str, Any]]) -> list[str]:
    return [line.strip() for s in steps for line in str(s.get("run") or "").splitlines()]


def index_of(lines: list[str], needle: str) -> int:
    found = [n for n, line in enumerate(lines) if needle in line]
    assert found, f"no command with {needle!r} in {lines}"
    return found[0]


def test_it_runs_on_main_pull_requests_tags_and_by_hand(workflow):
    on = workflow["on"]
    assert on["push"] == {"branches": ["main"], "tags": ["v*"]}
    assert "pull_request" in on and "workflow_dispatch" in on
    assert workflow["permissions"] == {"contents": "read"}
    assert "${{ github.ref }}" in workflow["concurrency"]["group"]
    for name, job in workflow["jobs"].items():
        assert 0 < job["timeout-minutes"] <= 60, name


def test_the_matrix_is_the_oldest_ubuntu_lts_windows_and_macos(workflow):
    job = workflow["jobs"]["bundle"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"]["fail-fast"] is False
    include = job["strategy"]["matrix"]["include"]
    assert [entry["os"] for entry in include] == list(RUNNERS)
    assert job["env"]["VENV_PYTHON"] == "${{ matrix.venv-python }}"
    for entry in include:
        scripts = "Scripts/python.exe" if entry["os"].startswith("windows") else "bin/python"
        assert entry["venv-python"] == f".venv/{scripts}"
    setup = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/setup-python")]
    assert setup and setup[0]["with"]["python-version"] == "3.11"
    assert setup[0]["with"]["cache"] == "pip"


@pytest.mark.parametrize("runner_os", ["Linux", "Windows", "macOS"])
def test_each_system_tests_builds_smoke_tests_and_uploads(workflow, runner_os):
    steps = steps_on(workflow, runner_os)
    lines = commands(steps)
    if runner_os == "Linux":
        # Ubuntu has no `chromium` deb: the list loses it before bootstrap reads it.
        assert index_of(lines, "packaging/apt/test.txt") < index_of(lines, "make test")
        # The README's test command builds the bundle before the tests (they check its layout)
        # and smoke-tests it after them.
        recipe = make_recipe("test")
        pytest_line = next(n for n, line in enumerate(recipe) if line.endswith("pytest"))
        assert recipe[pytest_line - 1].endswith(" bundle"), recipe
        assert recipe[-1].endswith(" smoke"), recipe
        assert "packaging/build.py" in " ".join(make_recipe("bundle"))
        assert "packaging/smoke --json dist/smoke.json" in " ".join(make_recipe("smoke"))
    else:
        install = index_of(lines, "pip install -c requirements/constraints.txt -e")
        assert '".[dev]"' in lines[install]
        assert index_of(lines, 'pytest -m "not slow"') > install
        build = index_of(lines, "packaging/build.py")
        assert build > index_of(lines, "pytest")
        smoke = index_of(lines, "packaging/smoke --json dist/smoke.json")
        assert smoke > build
    if runner_os != "Linux":
        assert not re.search(r"\bmake\b", " ".join(lines)), "no make outside Linux"

    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact")]
    paths = "\n".join(str(s["with"]["path"]) for s in uploads)
    for pattern in (*ARCHIVES, "dist/smoke*.json", "dist/*.png"):
        assert pattern in paths
    archive = next(s for s in uploads if ARCHIVES[0] in s["with"]["path"])
    assert archive["with"]["name"] == "chatkit-desktop-${{ runner.os }}"
    assert archive["with"]["if-no-files-found"] == "error"
    smoke_step = "make test" if runner_os == "Linux" else "packaging/smoke"
    assert steps.index(archive) > next(
        n for n, s in enumerate(steps) if smoke_step in str(s.get("run"))
    )


def make_recipe(target: str) -> list[str]:
    """The commands of a Makefile target, stripped."""
    lines = (ROOT / "Makefile").read_text(encoding="utf-8").splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith(f"{target}:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        recipe.append(line.strip())
    return recipe


def test_windows_checks_for_the_webview2_runtime(workflow):
    windows = [s for s in steps_on(workflow, "Windows") if "WebView2" in str(s.get("name"))]
    assert windows and "EdgeUpdate" in windows[0]["run"]
    assert not [s for s in steps_on(workflow, "Linux") if "WebView2" in str(s.get("name"))]


def test_the_release_is_made_only_for_tags_and_carries_the_three_archives(workflow):
    release = workflow["jobs"]["release"]
    assert release["needs"] == "bundle"
    assert "startsWith(github.ref, 'refs/tags/v')" in release["if"]
    assert release["permissions"] == {"contents": "write"}
    download = release["steps"][0]
    assert download["uses"].startswith("actions/download-artifact@")
    assert download["with"]["pattern"] == "chatkit-desktop-*"
    script = commands(release["steps"])
    assert any(line.startswith("gh release create") for line in script)
    assert any(line.startswith("gh release upload") for line in script)
    joined = "\n".join(script)
    for pattern in ARCHIVES:
        assert pattern.replace("dist/", "release/") in joined


def test_every_action_is_pinned_to_a_major_version_tag(workflow):
    uses = [
        step["uses"] for job in workflow["jobs"].values() for step in job["steps"] if "uses" in step
    ]
    assert len(uses) >= 6
    for action in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@v\d+", action), action


def test_every_file_and_make_target_it_runs_exists(workflow):
    text = WORKFLOW.read_text(encoding="utf-8")
    scripts = "\n".join(commands([s for j in workflow["jobs"].values() for s in j["steps"]]))
    paths = set(re.findall(r"(?<![\w/.-])(?:packaging|scripts|requirements)/[\w./-]*\w", text))
    assert {"packaging/build.py", "packaging/smoke", "packaging/apt/test.txt"} <= paths
    missing = sorted(p for p in paths if not (ROOT / p).exists() and "*" not in p)
    assert not missing, f"the workflow names files the repository does not have: {missing}"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in re.findall(r"\bmake (\w[\w-]*)", scripts):
        assert re.search(rf"^{re.escape(target)}:", makefile, re.MULTILINE), f"make {target}"
    # The Linux job runs as a user with sudo, not as root: bootstrap must reach apt through it.
    assert "sudo" in (ROOT / "scripts" / "bootstrap").read_text(encoding="utf-8")
