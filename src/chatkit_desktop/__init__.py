"""chatkit-desktop: a local-first desktop home for ChatKit."""

__version__ = "0.1.0"
