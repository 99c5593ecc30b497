"""The lock, the instance file and the focus channel, in process (the real two-process case is in
test_window_process.py)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
import threading

from chatkit_desktop.desktop.single_instance import (
    FocusListener,
    InstanceInfo,
    InstanceLock,
    claim_or_focus,
    read_instance_file,
    remove_instance_file,
    send_focus_request,
    write_instance_file,
)


def test_the_lock_is_exclusive_and_released(tmp_path):
    path = tmp_path / "desktop.lock"
    first, second = InstanceLock(path), InstanceLock(path)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()
    if sys.platform != "win32":  # Windows has no POSIX modes (and filelock deletes the file there)
        assert path.stat().st_mode & 0o777 == 0o600


def test_the_os_releases_the_lock_of_a_killed_process(tmp_path):
    path = tmp_path / "desktop.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from chatkit_desktop.desktop.single_instance import InstanceLock
                lock = InstanceLock(__import__("pathlib").Path({str(path)!r}))
                assert lock.acquire()
                print("held", flush=True)
                time.sleep(60)
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert not InstanceLock(path).acquire()
        holder.kill()
        holder.wait(10)
    finally:
        holder.kill()
        if holder.stdout:
            holder.stdout.close()
    lock = InstanceLock(path)
    assert lock.acquire()  # the file is still there, the lock is not
    lock.release()


def test_instance_file_is_private_atomic_and_removed_only_by_its_owner(tmp_path):
    path = tmp_path / "desktop-instance.json"
    write_instance_file(path, InstanceInfo(pid=1, port=4567, secret="s1"))
    if sys.platform != "win32":  # Windows has no POSIX modes: the profile's ACL keeps it private
        assert path.stat().st_mode & 0o777 == 0o600
    assert read_instance_file(path) == InstanceInfo(1, 4567, "s1")
    remove_instance_file(path, "another secret")
    assert path.exists()
    remove_instance_file(path, "s1")
    assert not path.exists()
    assert not list(tmp_path.iterdir())


def test_a_damaged_instance_file_reads_as_none(tmp_path):
    path = tmp_path / "desktop-instance.json"
    for content in ("", "{", "[]", '{"pid": 1, "port": "x", "secret": "s"}', '{"port": 0}'):
        path.write_text(content)
        assert read_instance_file(path) is None
    assert read_instance_file(tmp_path / "missing.json") is None


async def test_focus_request_with_the_secret_reaches_the_window():
    calls: list[str] = []
    listener = FocusListener("right", lambda: calls.append("focus"))
    port = await listener.start()
    try:
        ok = await asyncio.to_thread(send_focus_request, InstanceInfo(0, port, "right"))
        refused = await asyncio.to_thread(send_focus_request, InstanceInfo(0, port, "wrong"))
    finally:
        await listener.close()
    assert ok is True
    assert refused is False
    assert calls == ["focus"]


async def test_garbage_and_silence_are_answered_without_a_focus(caplog):
    calls: list[str] = []
    listener = FocusListener("right", lambda: calls.append("focus"))
    port = await listener.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"x" * 10000 + b"\n")  # longer than a request may be
        await writer.drain()
        assert json.loads(await reader.readline()) == {"ok": False}
        writer.close()

        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(json.dumps({"secret": "right", "action": "quit"}).encode() + b"\n")
        await writer.drain()
        assert json.loads(await reader.readline()) == {"ok": False}
        writer.close()
    finally:
        await listener.close()
    assert calls == []


async def test_the_listener_is_on_loopback_only():
    listener = FocusListener("s", lambda: None)
    await listener.start()
    try:
        assert listener._server is not None
        hosts = {sock.getsockname()[0] for sock in listener._server.sockets}
    finally:
        await listener.close()
    assert hosts == {"127.0.0.1"}


def test_claim_or_focus(tmp_path):
    path = tmp_path / "desktop-instance.json"
    first = InstanceLock(tmp_path / "desktop.lock")
    assert claim_or_focus(first, path, wait_s=0) == "claimed"
    # Held, and the instance file points at nobody (port 9: discard, closed): give up in time.
    write_instance_file(path, InstanceInfo(os.getpid(), 9, "s"))
    second = InstanceLock(tmp_path / "desktop.lock")
    assert claim_or_focus(second, path, wait_s=0.3) == "no answer"
    # The first one closing while the second waits: the second takes over.
    threading.Timer(0.3, first.release).start()
    assert claim_or_focus(second, path, wait_s=5) == "claimed"
    second.release()


async def test_claim_or_focus_asks_the_holder(tmp_path):
    path = tmp_path / "desktop-instance.json"
    holder = InstanceLock(tmp_path / "desktop.lock")
    assert holder.acquire()
    calls: list[str] = []
    listener = FocusListener("secret", lambda: calls.append("focus"))
    port = await listener.start()
    write_instance_file(path, InstanceInfo(os.getpid(), port, "secret"))
    try:
        outcome = await asyncio.to_thread(
            claim_or_focus, InstanceLock(tmp_path / "desktop.lock"), path, wait_s=5
        )
    finally:
        await listener.close()
        holder.release()
    assert outcome == "focused"
    assert calls == ["focus"]
