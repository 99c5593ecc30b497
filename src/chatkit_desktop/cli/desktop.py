"""`chatkit-desktop run` (and `chatkit-desktop` alone): the app in its own window."""

from __future__ import annotations

import argparse

from chatkit_desktop.desktop.gui_choices import GUI_CHOICES


def add_run_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser], parents: list[argparse.ArgumentParser]
) -> None:
    run = sub.add_parser(
        "run",
        parents=parents,
        help="open the app in its own window (the default command)",
        description="Start the local server and open the app in a window. A second launch "
        "on the same data directory brings the open window to the front instead.",
    )
    run.add_argument(
        "--gui",
        choices=GUI_CHOICES,
        default=None,
        help="Linux: the window toolkit, Qt (default) or GTK if WebKitGTK is installed "
        "(env CHATKIT_DESKTOP_GUI). Windows uses WebView2 and macOS WebKit.",
    )
    run.set_defaults(port=0)
