"""The aiohttp application: routes, guards, streaming, static files."""
