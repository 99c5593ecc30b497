"""Argument parsing and dispatch. Subcommands import their (heavy) modules only when run."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from chatkit_desktop import __version__
from chatkit_desktop.cli.desktop import add_run_parser
from chatkit_desktop.cli.doctor import add_doctor_parser
from chatkit_desktop.cli.history import add_history_parsers
from chatkit_desktop.cli.keys import add_keys_parser
from chatkit_desktop.logs import LEVELS
from chatkit_desktop.providers.catalog import PROVIDERS


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chatkit-desktop",
        description="A local-first desktop home for ChatKit.",
    )
    parser.add_argument("--version", action="version", version=f"chatkit-desktop {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        metavar="DIR",
        help=(
            "keep threads, settings, attachments and the log file in DIR (default: the OS "
            "per-user data directory, and the OS per-user log directory for the log file)"
        ),
    )
    common.add_argument(
        "--log-level",
        type=str.upper,
        choices=LEVELS,
        default="INFO",
        help="how much to log to stderr and the log file (default: INFO)",
    )
    # The provider flags, shared by `serve` and `run` (the window).
    provider = argparse.ArgumentParser(add_help=False)
    provider.add_argument(
        "--provider",
        choices=list(PROVIDERS),
        default=None,
        help="answer with this provider (env CHATKIT_DESKTOP_PROVIDER; default: from Settings)",
    )
    provider.add_argument(
        "--model", default=None, help="model for that provider (env CHATKIT_DESKTOP_MODEL)"
    )
    provider.add_argument(
        "--base-url",
        default=None,
        help="the provider's base URL, e.g. http://localhost:11434/v1 "
        "(env CHATKIT_DESKTOP_BASE_URL)",
    )
    provider.add_argument(
        "--tracing",
        action="store_true",
        help="send Agents SDK traces to OpenAI (off unless asked; env CHATKIT_DESKTOP_TRACING=1)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    add_run_parser(sub, [common, provider])
    serve = sub.add_parser(
        "serve",
        parents=[common, provider],
        help="run the local ChatKit server without a window",
        description="Run the ChatKit server on 127.0.0.1 and print the address to open.",
    )
    serve.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 (default 0: pick a free one)"
    )
    add_doctor_parser(sub, [common])
    add_keys_parser(sub, [common])
    add_history_parsers(sub, [common])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    arguments = list(argv if argv is not None else sys.argv[1:])
    # No command: the app in its window, `run`'s flags allowed (`chatkit-desktop --data-dir X`).
    if not arguments or (
        arguments[0].startswith("-") and arguments[0] not in ("-h", "--help", "--version")
    ):
        arguments = ["run", *arguments]
    args = parser.parse_args(arguments)
    if args.command == "run":
        from chatkit_desktop.desktop.app import run_desktop

        return run_desktop(args)
    if args.command == "serve":
        from chatkit_desktop.cli.serve import run_serve

        return run_serve(args)
    if args.command == "doctor":
        from chatkit_desktop.cli.doctor import run_doctor

        return run_doctor(args)
    if args.command == "keys":
        from chatkit_desktop.cli.keys import run_keys

        return run_keys(args)
    if args.command in ("search", "export", "import", "backup"):
        from chatkit_desktop.cli.history import run_history_command

        return run_history_command(args)
    parser.error(f"unknown command {args.command!r}")
    return 2
