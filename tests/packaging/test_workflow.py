"""The bundle workflow (.github/workflows/bundle.yml), read as GitHub would run it: three systems,
each builds and smoke-tests its bundle and uploads it; a tag v* makes a release with the archives.

GitHub Actions cannot run here, so these tests read the file. PyYAML is not one of the project's
dependencies: `read_yaml` below reads the part of YAML a workflow uses (block mappings and
sequences, plain and quoted scalars, one-line flow lists, `|` blocks, comments). Where PyYAML is
installed, a test checks that both read the file the same way.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKFLOW = ROOT / ".github" / "workflows" / "bundle.yml"

RUNNERS = {"ubuntu-22.04": "Linux", "windows-latest": "Windows", "macos-latest": "macOS"}
ARCHIVES = ("dist/chatkit-desktop-*.tar.gz", "dist/chatkit-desktop-*.zip")


# ---- a small YAML reader -------------------------------------------------------------------

_KEY = re.compile(r"""^(?P<key>"[^"]*"|'[^']*'|[^\s'"#][^:#]*?):(?:\s+|$)(?P<rest>.*)$""")


class _Reader:
    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.i = 0

    def peek(self) -> tuple[int, str] | None:
        """(indent, text) of the next line that is neither blank nor a comment."""
        while self.i < len(self.lines):
            line = self.lines[self.i]
            text = line.strip()
            if text and not text.startswith("#"):
                if "\t" in line[: len(line) - len(line.lstrip())]:
                    raise ValueError(f"line {self.i + 1}: a tab in the indentation")
                return len(line) - len(line.lstrip(" ")), text
            self.i += 1
        return None

    def node(self, indent: int) -> Any:
        nxt = self.peek()
        if nxt is None or nxt[0] < indent:
            return None
        if _is_item(nxt[1]):
            return self.sequence(nxt[0])
        return self.mapping(nxt[0])

    def mapping(self, indent: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        while (nxt := self.peek()) is not None and nxt[0] == indent and not _is_item(nxt[1]):
            match = _KEY.match(nxt[1])
            if match is None:
                raise ValueError(f"line {self.i + 1}: expected `key: value`: {nxt[1]!r}")
            key = _scalar(match["key"].strip())
            if key in result:
                raise ValueError(f"line {self.i + 1}: {key!r} twice")
            self.i += 1
            result[str(key)] = self.value(match["rest"], indent)
        if nxt is not None and nxt[0] > indent:
            raise ValueError(f"line {self.i + 1}: unexpected indentation")
        return result

    def sequence(self, indent: int) -> list[Any]:
        items: list[Any] = []
        while (nxt := self.peek()) is not None and nxt[0] == indent and _is_item(nxt[1]):
            body = nxt[1][1:].lstrip()
            if not body:
                self.i += 1
                items.append(self.node(indent + 1))
            elif _KEY.match(body) and not body.startswith(("'", '"', "[")):
                # `- key: value ...`: a mapping whose keys line up after the dash.
                self.lines[self.i] = " " * (indent + 2) + body
                items.append(self.mapping(indent + 2))
            else:
                self.i += 1
                items.append(_scalar(_strip_comment(body)))
        return items

    def value(self, rest: str, indent: int) -> Any:
        rest = _strip_comment(rest)
        if rest in ("|", "|-"):
            return self.block(indent, keep_newline=rest == "|")
        if rest:
            return _scalar(rest)
        nxt = self.peek()
        if nxt is not None and (nxt[0] > indent or (nxt[0] == indent and _is_item(nxt[1]))):
            return self.node(nxt[0])
        return None

    def block(self, indent: int, *, keep_newline: bool) -> str:
        lines: list[str] = []
        while self.i < len(self.lines):
            line = self.lines[self.i]
            if line.strip() and len(line) - len(line.lstrip(" ")) <= indent:
                break
            lines.append(line)
            self.i += 1
        while lines and not lines[-1].strip():
            lines.pop()
        if not lines:
            return ""
        margin = min(len(line) - len(line.lstrip(" ")) for line in lines if line.strip())
        text = "\n".join(line[margin:] for line in lines)
        return text + "\n" if keep_newline else text


def _is_item(text: str) -> bool:
    return text == "-" or text.startswith("- ")


def _strip_comment(text: str) -> str:
    if text[:1] in ("'", '"'):
        end = text.find(text[0], 1)
        while text[0] == "'" and end != -1 and text[end + 1 : end + 2] == "'":
            end = text.find("'", end + 2)
        if end == -1:
            raise ValueError(f"unclosed quote: {text!r}")
        rest = text[end + 1 :].strip()
        if rest and not rest.startswith("#"):
            raise ValueError(f"text after a quoted value: {text!r}")
        return text[: end + 1]
    cut = re.search(r"\s#", text)
    return (text[: cut.start()] if cut else text).strip()


def _scalar(text: str) -> Any:
    if text.startswith("'") and text.endswith("'") and len(text) > 1:
        return text[1:-1].replace("''", "'")
    if text.startswith('"') and text.endswith('"') and len(text) > 1:
        return json.loads(text)
    if text.startswith("[") and text.endswith("]"):
        inner = text[1:-1].strip()
        return [_scalar(part.strip()) for part in inner.split(",")] if inner else []
    if text.startswith(("{", "&", "*", "!", ">", "|", "%", "@", "`")):
        raise ValueError(f"YAML this reader does not know: {text!r}")
    if text in ("true", "false"):
        return text == "true"
    if text in ("", "~", "null"):
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    return text


def read_yaml(text: str) -> Any:
    reader = _Reader(text)
    document = reader.node(0)
    if reader.peek() is not None:
        raise ValueError(f"line {reader.i + 1}: not read")
    return document


# ---- what GitHub would run ----------------------------------------------------------------


@pytest.fixture(scope="module")
def workflow() -> dict[str, Any]:
    document = read_yaml(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(document, dict)
    return document


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


def test_the_reader_reads_what_a_workflow_uses():
    text = """\
# a comment
on:
  push:
    tags: ["v*", 'x''y']   # trailing comment
  pull_request:
jobs:
  a:
    timeout-minutes: 60
    name: build (${{ matrix.os }})
    if: ${{ !cancelled() && runner.os == 'Linux' }}
    matrix:
      - os: one
        extra: true
      - two
    steps:
    - run: |
        echo "a # not a comment"

        # part of the script
        echo b
      shell: bash
"""
    assert read_yaml(text) == {
        "on": {"push": {"tags": ["v*", "x'y"]}, "pull_request": None},
        "jobs": {
            "a": {
                "timeout-minutes": 60,
                "name": "build (${{ matrix.os }})",
                "if": "${{ !cancelled() && runner.os == 'Linux' }}",
                "matrix": [{"os": "one", "extra": True}, "two"],
                "steps": [
                    {
                        "run": 'echo "a # not a comment"\n\n# part of the script\necho b\n',
                        "shell": "bash",
                    }
                ],
            }
        },
    }


def test_pyyaml_reads_the_workflow_the_same_way(workflow):
    yaml = pytest.importorskip("yaml", reason="PyYAML is not a dependency; checked where present")
    loaded = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as true; GitHub reads it as "on".
    assert {("on" if key is True else key): value for key, value in loaded.items()} == workflow


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
        build = index_of(lines, "make bundle")
        assert index_of(lines, "make test") < build
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
    assert steps.index(archive) > next(
        n for n, s in enumerate(steps) if "packaging/smoke" in str(s.get("run"))
    )


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
