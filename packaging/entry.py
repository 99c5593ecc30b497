"""The frozen app's entry point: the same `main()` as the `chatkit-desktop` command."""

import multiprocessing
import sys

from chatkit_desktop.cli.main import main

if __name__ == "__main__":
    # A frozen app re-runs this file for any child process a library starts with
    # multiprocessing; without this call that child would open a second window.
    multiprocessing.freeze_support()
    sys.exit(main())
