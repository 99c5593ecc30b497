"""`python -m chatkit_desktop` behaves exactly like the `chatkit-desktop` command."""

from chatkit_desktop.cli.main import main

raise SystemExit(main())
