"""A real Secret Service for tests: gnome-keyring-daemon on a private D-Bus session bus.

The bus is hermetic (its own config: no service files, so nothing is auto-activated and the
user's own keyring is never reached); the daemon keeps its keyrings in a temporary home and is
unlocked with a password on stdin. Works headless and as root (as in CI).
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

BINARIES = {"dbus-daemon": "dbus", "gnome-keyring-daemon": "gnome-keyring"}
SECRETS_NAME = "org.freedesktop.secrets"
START_TIMEOUT_S = 15.0
UNLOCK_PASSWORD = "test-password"  # a throwaway keyring in a temporary home

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def missing_binaries() -> list[str]:
    """The Debian packages still to install for a real Secret Service ([] when ready)."""
    return [package for binary, package in BINARIES.items() if shutil.which(binary) is None]


def clean_env(**extra: str) -> dict[str, str]:
    """A minimal environment for child processes: no keys, no desktop session, no keyring
    configuration of the person running the tests."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name in {"PATH", "LANG", "LC_ALL", "PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT", "TMPDIR"}
    }
    env.update(extra)
    return env


def home_env(root: Path) -> dict[str, str]:
    """HOME and the XDG directories inside a temporary root."""
    return {
        "HOME": str(root / "home"),
        "XDG_DATA_HOME": str(root / "home" / "data"),
        "XDG_CONFIG_HOME": str(root / "home" / "config"),
        "XDG_CACHE_HOME": str(root / "home" / "cache"),
        "XDG_RUNTIME_DIR": str(root / "run"),
    }


@dataclass
class SecretService:
    address: str
    root: Path
    socket_dir: Path
    dbus: subprocess.Popen[bytes]
    daemon: subprocess.Popen[bytes]
    logs: list[Path] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        """An environment whose session bus is this one (for subprocesses)."""
        return clean_env(**home_env(self.root), DBUS_SESSION_BUS_ADDRESS=self.address, **extra)

    def log_text(self) -> str:
        return "\n".join(path.read_text(errors="replace") for path in self.logs if path.exists())

    def stop_daemon(self) -> None:
        _stop(self.daemon)

    def close(self) -> None:
        _stop(self.daemon)
        _stop(self.dbus)
        shutil.rmtree(self.socket_dir, ignore_errors=True)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def _read_address(proc: subprocess.Popen[bytes], deadline: float) -> str:
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    data = b""
    while b"\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or proc.poll() is not None:
            raise RuntimeError("dbus-daemon did not print its address")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            chunk = os.read(fd, 4096)
            if not chunk:
                raise RuntimeError("dbus-daemon closed its output without an address")
            data += chunk
    return data.split(b"\n", 1)[0].decode().strip()


def secrets_ready(address: str) -> bool:
    """True once the daemon owns the Secret Service name and its default collection is open."""
    import secretstorage
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    try:
        with contextlib.closing(open_dbus_connection(address)) as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(SECRETS_NAME), timeout=2)
            if not reply.body[0]:
                return False
            return not secretstorage.Collection(conn).is_locked()
    except Exception:
        return False


def stored_items(
    address: str, service: str = "chatkit-desktop"
) -> list[tuple[dict[str, str], str]]:
    """Every item of `service` in the daemon, attributes and secret, read directly over D-Bus."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    with contextlib.closing(open_dbus_connection(address)) as conn:
        return [
            (item.get_attributes(), item.get_secret().decode())
            for item in secretstorage.Collection(conn).search_items({"service": service})
        ]


def forget_all(address: str, service: str = "chatkit-desktop") -> None:
    """Delete every item of `service` (talks to `address` itself, whatever os.environ says)."""
    import secretstorage
    from jeepney.io.blocking import open_dbus_connection

    with contextlib.closing(open_dbus_connection(address)) as conn:
        for item in secretstorage.Collection(conn).search_items({"service": service}):
            item.delete()


def start_secret_service(root: Path, password: str = UNLOCK_PASSWORD) -> SecretService:
    """Start a private session bus and an unlocked gnome-keyring-daemon on it; wait until the
    Secret Service answers (15 s at most)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    for sub in ("home", "run"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "run").chmod(0o700)
    # A unix socket path must stay short (108 bytes): keep it out of deep pytest directories.
    socket_dir = Path(tempfile.mkdtemp(prefix="ckd-bus-", dir="/tmp"))
    config = root / "bus.conf"
    config.write_text(BUS_CONFIG.format(socket=socket_dir / "bus"))
    dbus_log = root / "dbus-daemon.log"
    with dbus_log.open("wb") as log_file:
        dbus = subprocess.Popen(
            ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=clean_env(),
        )
    try:
        address = _read_address(dbus, deadline)
    except BaseException:
        _stop(dbus)
        shutil.rmtree(socket_dir, ignore_errors=True)
        raise
    daemon_log = root / "gnome-keyring-daemon.log"
    with daemon_log.open("wb") as log_file:
        daemon = subprocess.Popen(
            ["gnome-keyring-daemon", "--unlock", "--components=secrets", "--foreground"],
            stdin=subprocess.PIPE,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=clean_env(**home_env(root), DBUS_SESSION_BUS_ADDRESS=address),
        )
    service = SecretService(address, root, socket_dir, dbus, daemon, [dbus_log, daemon_log])
    try:
        assert daemon.stdin is not None
        daemon.stdin.write(password.encode())
        daemon.stdin.close()
        while not secrets_ready(address):
            if daemon.poll() is not None:
                raise RuntimeError(
                    f"gnome-keyring-daemon exited ({daemon.returncode}): {service.log_text()}"
                )
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"the Secret Service did not answer within {START_TIMEOUT_S:g} s: "
                    f"{service.log_text()}"
                )
            time.sleep(0.05)
    except BaseException:
        service.close()
        raise
    return service
