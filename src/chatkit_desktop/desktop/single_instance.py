"""One desktop app per data directory, and a way for a second launch to bring it forward.

The first launch holds an OS file lock on `desktop.lock` (flock on POSIX, LockFileEx on
Windows, through `filelock`). The OS drops the lock when the process ends, however it ends, so
a crash never leaves a stale lock behind. The lock holder listens on a loopback port of its own
(not the app's HTTP port) and writes that port with a random secret to `desktop-instance.json`,
which only the user can read (0600). A second launch that finds the lock taken reads the file,
connects to 127.0.0.1 on that port and sends one JSON line `{"secret": ..., "action": "focus"}`;
the first answers `{"ok": true}` after asking its window to come to the front. A wrong or
missing secret gets `{"ok": false}` and nothing else happens.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import filelock

log = logging.getLogger(__name__)

FOCUS_ACTION = "focus"
MAX_LINE_BYTES = 4096
REQUEST_TIMEOUT_S = 2.0


class InstanceLock:
    """A non-blocking exclusive lock on a file; released by the OS if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = filelock.FileLock(path, mode=0o600, thread_local=False, fallback_to_soft=False)
        self._held = False

    def acquire(self) -> bool:
        """True when this process is now the one; False when another process holds the lock."""
        try:
            self._lock.acquire(timeout=0)
        except filelock.Timeout:
            return False
        except (OSError, NotImplementedError) as exc:
            # A file system without locks (some network shares): run, but say what is lost.
            log.warning(
                "Could not lock %s (%s): a second launch on this data directory will not be "
                "detected",
                self.path,
                exc,
            )
            return True
        self._held = True
        return True

    def release(self) -> None:
        if self._held:
            self._held = False
            self._lock.release()


@dataclass(frozen=True)
class InstanceInfo:
    pid: int
    port: int
    secret: str


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def write_instance_file(path: Path, info: InstanceInfo) -> None:
    """Atomically, created 0600 so other users cannot read the secret."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    data = json.dumps({"pid": info.pid, "port": info.port, "secret": info.secret}) + "\n"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            fd = -1
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        if fd >= 0:
            os.close(fd)
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def read_instance_file(path: Path) -> InstanceInfo | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        info = InstanceInfo(pid=data["pid"], port=data["port"], secret=data["secret"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not (isinstance(info.port, int) and 0 < info.port < 65536 and isinstance(info.secret, str)):
        return None
    return info


def remove_instance_file(path: Path, secret: str) -> None:
    """Remove the file if it is still ours."""
    info = read_instance_file(path)
    if info is not None and hmac.compare_digest(info.secret.encode(), secret.encode()):
        with contextlib.suppress(OSError):
            path.unlink()


class FocusListener:
    """The first launch's side: a loopback TCP listener answering focus requests."""

    def __init__(self, secret: str, on_focus: Callable[[], None]) -> None:
        self._secret = secret.encode()
        self._on_focus = on_focus
        self._server: asyncio.Server | None = None

    async def start(self) -> int:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", 0, limit=MAX_LINE_BYTES
        )
        sockname = self._server.sockets[0].getsockname()
        return int(sockname[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        ok = False
        try:
            async with asyncio.timeout(REQUEST_TIMEOUT_S):
                line = await reader.readline()
            request = json.loads(line)
            given = request.get("secret") if isinstance(request, dict) else None
            if (
                isinstance(given, str)
                and hmac.compare_digest(given.encode(), self._secret)
                and request.get("action") == FOCUS_ACTION
            ):
                ok = True
            else:
                log.warning("Refused a focus request without the right secret")
        except (TimeoutError, ValueError, OSError) as exc:  # ValueError: bad JSON, too long
            log.warning("Ignored a malformed focus request (%s)", type(exc).__name__)
        try:
            if ok:
                log.info("Another launch asked for this window: bringing it to the front")
                try:
                    await asyncio.to_thread(self._on_focus)
                except Exception:
                    log.exception("Could not bring the window to the front")
            writer.write(json.dumps({"ok": ok}).encode() + b"\n")
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


def send_focus_request(info: InstanceInfo, timeout: float = REQUEST_TIMEOUT_S) -> bool:
    """The second launch's side: True when the first answered that it came forward."""
    request = json.dumps({"secret": info.secret, "action": FOCUS_ACTION}).encode() + b"\n"
    try:
        with socket.create_connection(("127.0.0.1", info.port), timeout=timeout) as sock:
            sock.sendall(request)
            reply = sock.makefile("rb").readline(MAX_LINE_BYTES)
    except OSError:
        return False
    try:
        answer = json.loads(reply)
    except ValueError:
        return False
    return isinstance(answer, dict) and answer.get("ok") is True


def claim_or_focus(
    lock: InstanceLock, instance_file: Path, *, wait_s: float = 10.0
) -> Literal["claimed", "focused", "no answer"]:
    """Become the app for this data directory, or ask the one that is to come forward.

    The other app may still be starting (no instance file yet) or be closing (listener gone,
    lock not yet released): both are retried for `wait_s` seconds.
    """
    deadline = time.monotonic() + wait_s
    while True:
        if lock.acquire():
            return "claimed"
        info = read_instance_file(instance_file)
        if info is not None and send_focus_request(info):
            return "focused"
        if time.monotonic() >= deadline:
            return "no answer"
        time.sleep(0.2)
