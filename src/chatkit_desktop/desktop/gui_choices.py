"""The GUI toolkits a user may ask for; tiny so the command line's help costs nothing."""

from __future__ import annotations

GUI_ENV = "CHATKIT_DESKTOP_GUI"
GUI_CHOICES = ("auto", "qt", "gtk")
