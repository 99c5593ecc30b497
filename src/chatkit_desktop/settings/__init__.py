"""Non-secret preferences and where the app keeps its files."""
