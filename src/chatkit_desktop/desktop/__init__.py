"""The desktop window: the local server in a background thread, a pywebview window on the main
thread, one app per data directory, and the window's size and place remembered.

Nothing here is imported by `serve`: the GUI toolkits load only when the window opens.
"""
