"""`chatkit-desktop doctor`: the answers to the common support questions, in plain words.

A blank ChatKit widget (is the CDN reachable?), a wrong key (does a live request work?), a
missing keyring (is there a secure backend?), a damaged database (integrity check). Exit code 1
when something is broken; warnings alone exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sqlite3
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from chatkit_desktop import __version__
from chatkit_desktop.providers.catalog import PROVIDERS
from chatkit_desktop.providers.config import ProviderSettings, active_provider
from chatkit_desktop.settings.paths import DataPaths

if TYPE_CHECKING:
    from chatkit_desktop.settings.preferences import PreferencesFile

CHATKIT_JS_URL = "https://cdn.platform.openai.com/deployments/chatkit/chatkit.js"
CHECK_TIMEOUT_S = 8.0

Level = Literal["ok", "info", "warn", "FAIL"]


@dataclass
class Finding:
    level: Level
    topic: str
    text: str

    def line(self) -> str:
        return f"[{self.level:>4}] {self.topic}: {self.text}"


def add_doctor_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    doctor = sub.add_parser(
        "doctor",
        parents=parents,
        help="check keys, keyring, database, ChatKit CDN and window support",
        description="Check what chatkit-desktop needs and say in words what is wrong.",
    )
    doctor.add_argument(
        "--offline", action="store_true", help="skip the checks that need the network"
    )


def _versions() -> Finding:
    import importlib.metadata

    names = ("openai-chatkit", "openai-agents", "openai", "aiohttp", "aiosqlite", "keyring")
    parts = [f"chatkit-desktop {__version__}", f"Python {platform.python_version()}"]
    for name in names:
        try:
            parts.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            parts.append(f"{name} missing")
    return Finding("info", "Versions", ", ".join(parts))


def _data_dir(paths: DataPaths) -> Finding:
    root = paths.root
    if not root.exists():
        return Finding("ok", "Data directory", f"{root} (will be created on first start)")
    if not os.access(root, os.W_OK):
        return Finding("FAIL", "Data directory", f"{root} is not writable by you.")
    return Finding("ok", "Data directory", str(root))


def _log_file(paths: DataPaths) -> Finding:
    log_file = paths.log_file
    if log_file.exists():
        if not os.access(log_file, os.W_OK):
            return Finding("FAIL", "Log file", f"{log_file} is not writable by you.")
        return Finding("ok", "Log file", str(log_file))
    # The app creates the missing folders on start: the nearest existing one must let it.
    existing = next(folder for folder in log_file.parents if folder.exists())
    if not existing.is_dir():
        return Finding(
            "FAIL", "Log file", f"{log_file} cannot be created: {existing} is a file, not a folder."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        return Finding(
            "FAIL", "Log file", f"{log_file} cannot be created: {existing} is not writable by you."
        )
    return Finding("ok", "Log file", f"{log_file} (none yet; written from the first start)")


def _database(paths: DataPaths) -> Finding:
    from chatkit_desktop.store.migrations import LATEST_VERSION

    db = paths.database
    if not db.exists():
        return Finding("ok", "Database", "none yet (created on first start)")
    try:
        conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            has_table = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='_migrations'"
            ).fetchone()
            version = (
                conn.execute("SELECT MAX(version) FROM _migrations").fetchone()[0] or 0
                if has_table
                else 0
            )
            threads = conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0] if version else 0
        finally:
            conn.close()
    except sqlite3.Error as exc:
        return Finding("FAIL", "Database", f"{db} cannot be read: {exc}.")
    if result != "ok":
        return Finding(
            "FAIL",
            "Database",
            f"{db} failed its integrity check ({result}). Restore a backup "
            "(*.bak beside it) or start with another --data-dir.",
        )
    if version > LATEST_VERSION:
        return Finding(
            "FAIL",
            "Database",
            f"{db} is from a newer chatkit-desktop (schema {version} > {LATEST_VERSION}): update.",
        )
    return Finding("ok", "Database", f"{db}: integrity ok, schema {version}, {threads} thread(s)")


def _settings(prefs: PreferencesFile) -> Finding:
    if prefs.error:
        return Finding("FAIL", "Settings", prefs.error)
    where = prefs.path if prefs.path.exists() else f"{prefs.path} (defaults; no file yet)"
    return Finding("ok", "Settings", str(where))


def _webview() -> Finding:
    import importlib.util

    if importlib.util.find_spec("webview") is None:
        return Finding(
            "warn",
            "Window",
            "pywebview is not installed: `chatkit-desktop serve` and a browser work; the "
            "desktop window needs it.",
        )
    backends = [
        name
        for name, module in (("Qt", "qtpy"), ("GTK", "gi"), ("Cocoa", "Cocoa"), ("WebView2", "clr"))
        if importlib.util.find_spec(module) is not None
    ]
    if not backends:
        return Finding("FAIL", "Window", "pywebview is installed but no GUI backend is available.")
    return Finding("ok", "Window", "pywebview with " + ", ".join(backends))


async def _cdn(env: Mapping[str, str]) -> Finding:
    import aiohttp

    url = env.get("CHATKIT_DESKTOP_CHATKIT_JS_URL", CHATKIT_JS_URL)
    try:
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_S)
        async with aiohttp.ClientSession(timeout=timeout) as http, http.get(url) as resp:
            if resp.status == 200:
                return Finding("ok", "ChatKit CDN", f"{url} is reachable")
            problem = f"answered HTTP {resp.status}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        problem = f"is not reachable ({type(exc).__name__})"
    return Finding(
        "warn",
        "ChatKit CDN",
        f"{url} {problem}. The ChatKit widget cannot load (a blank widget); your history "
        "and the built-in client do not need it.",
    )


async def _providers(
    settings: ProviderSettings, prefs: PreferencesFile, offline: bool
) -> list[Finding]:
    from chatkit_desktop.chat.errors import describe_provider_error
    from chatkit_desktop.providers.config import ProviderConfigError
    from chatkit_desktop.providers.factory import ModelFactory
    from chatkit_desktop.providers.keys import key_lookup
    from chatkit_desktop.vault import Vault

    findings: list[Finding] = []
    vault = await asyncio.to_thread(Vault, env=settings.env)
    backend = vault.backend_status()
    findings.append(Finding("ok" if backend.secure else "warn", "Keyring", backend.message))
    models = ModelFactory(settings, prefs.get, key_lookup(vault))
    active = active_provider(settings, prefs.get())
    try:
        for info in PROVIDERS.values():
            topic = f"Provider {info.id}" + (" (active)" if info.id == active else "")
            status = await asyncio.to_thread(vault.status, info.id)
            if status.error:
                findings.append(
                    Finding("FAIL" if info.id == active else "warn", topic, status.error)
                )
                continue
            target = models.target(provider=info.id)
            where = f"{target.model} at {target.base_url}"
            if not status.has_key and info.key_required:
                level: Level = "FAIL" if info.id == active else "info"
                findings.append(
                    Finding(
                        level,
                        topic,
                        f"no key (Settings, `chatkit-desktop keys set {info.id}` or "
                        f"{info.key_env}); {where}",
                    )
                )
                continue
            source = f"key from {status.source}" if status.has_key else "no key needed"
            if offline or (info.id != active and not status.has_key):
                findings.append(Finding("ok", topic, f"{source}; {where} (not checked)"))
                continue
            try:
                client = await asyncio.to_thread(models.client_for, target)
                quick = client.with_options(max_retries=0, timeout=CHECK_TIMEOUT_S)
                await quick.models.list()
            except ProviderConfigError as exc:
                findings.append(Finding("FAIL" if info.id == active else "warn", topic, str(exc)))
            except Exception as exc:
                words = describe_provider_error(
                    exc, base_url=target.base_url, model=target.model, provider=info
                )
                findings.append(Finding("FAIL" if info.id == active else "warn", topic, words))
            else:
                findings.append(Finding("ok", topic, f"{source}; {where}: live check passed"))
    finally:
        await models.aclose()
    return findings


async def diagnose(paths: DataPaths, settings: ProviderSettings, *, offline: bool) -> list[Finding]:
    from chatkit_desktop.settings.preferences import PreferencesFile

    prefs = await asyncio.to_thread(PreferencesFile.load, paths.settings)
    findings = [_versions(), _data_dir(paths), _log_file(paths)]
    findings.append(await asyncio.to_thread(_database, paths))
    findings.append(_settings(prefs))
    findings.extend(await _providers(settings, prefs, offline))
    if offline:
        findings.append(Finding("info", "ChatKit CDN", "not checked (--offline)"))
    elif prefs.get().interface == "builtin":
        # The built-in client never asks OpenAI's CDN; neither does the doctor on its behalf.
        findings.append(
            Finding(
                "info",
                "ChatKit CDN",
                "not checked: the built-in chat client is chosen (Settings → Interface), "
                "which does not need it",
            )
        )
    else:
        findings.append(await _cdn(settings.env))
    findings.append(_webview())
    return findings


def run_doctor(args: argparse.Namespace) -> int:
    paths = DataPaths.for_data_dir(args.data_dir)
    settings = ProviderSettings.from_env()
    findings = asyncio.run(diagnose(paths, settings, offline=args.offline))
    for finding in findings:
        print(finding.line())
    broken = [f for f in findings if f.level == "FAIL"]
    print()
    if broken:
        print(f"{len(broken)} problem(s) found; see the FAIL lines above.", file=sys.stderr)
        return 1
    print("Nothing is broken.")
    return 0
