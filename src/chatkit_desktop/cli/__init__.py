"""The `chatkit-desktop` command."""
