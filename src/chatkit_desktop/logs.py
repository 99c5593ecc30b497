"""Logging to a rotating file (`DataPaths.log_file`) and to stderr, off the event loop.

Handlers that write files block; a QueueHandler hands records to a listener thread so a log line
never stalls a streaming answer.
"""

from __future__ import annotations

import logging
import logging.handlers
import queue
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")

_listener: logging.handlers.QueueListener | None = None


def setup_logging(level: str, log_file: Path | None) -> None:
    """Route every log record to stderr and (if given) a rotating file; idempotent."""
    global _listener
    stop_logging()
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handlers.append(
            logging.handlers.RotatingFileHandler(
                log_file, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
            )
        )
    formatter = logging.Formatter(FORMAT)
    for handler in handlers:
        handler.setFormatter(formatter)
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(level.upper())
    # Client libraries log request details at INFO/DEBUG; they are noise for users.
    for noisy in ("httpx", "httpx2", "httpcore", "openai", "openai.agents", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    _listener = logging.handlers.QueueListener(records, *handlers, respect_handler_level=True)
    _listener.start()


def setup_logging_or_stderr(level: str, log_file: Path) -> None:
    """`setup_logging`, but a log file that cannot be written leaves stderr only, with a
    warning: the app works without its log, so it must not refuse to start over it."""
    try:
        setup_logging(level, log_file)
    except OSError as exc:
        setup_logging(level, None)
        logging.getLogger(__name__).warning(
            "Cannot write the log file %s (%s); logging to stderr only", log_file, exc
        )


def stop_logging() -> None:
    """Flush and stop the listener thread (at exit)."""
    global _listener
    if _listener is not None:
        _listener.stop()
        _listener = None
