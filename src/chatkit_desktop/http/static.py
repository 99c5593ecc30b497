"""The page's static files (`web/`), served with a strict Content-Security-Policy.

In a wheel or bundle the files sit inside the package (`chatkit_desktop/web`); in a source
checkout they are the repository's top-level `web/`.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiohttp import web

# Only this origin, plus what OpenAI's ChatKit web component needs to load and run its frame.
CHATKIT_CDN = "https://cdn.platform.openai.com"
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        f"script-src 'self' {CHATKIT_CDN}",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        f"font-src 'self' data: {CHATKIT_CDN}",
        f"connect-src 'self' {CHATKIT_CDN}",
        f"frame-src {CHATKIT_CDN} https://*.openai.com",
        "object-src 'none'",
        "base-uri 'none'",
        # The page's forms are handled by script only: a native submission (script failed to
        # start, Enter in the key field) must never put a field, such as an API key, in a URL.
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

# The app uses no camera, microphone or location, and neither may ChatKit's frame: the desktop
# webview (pywebview's Qt backend) would otherwise grant them without asking.
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), display-capture=(), usb=()"


def web_root() -> Path:
    here = Path(__file__).resolve()
    for candidate in (here.parents[1] / "web", here.parents[3] / "web"):
        if (candidate / "index.html").is_file():
            return candidate
    raise FileNotFoundError("The web/ assets are missing from this installation.")


async def add_csp(request: web.Request, response: web.StreamResponse) -> None:
    """`on_response_prepare`: the CSP goes on the page and its files, not on API answers."""
    if request.path == "/" or request.path.startswith("/static/"):
        response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.headers["Permissions-Policy"] = PERMISSIONS_POLICY
        response.headers["Cache-Control"] = "no-cache"


def add_static_routes(app: web.Application) -> None:
    root = web_root()
    index = root / "index.html"

    async def page(request: web.Request) -> web.FileResponse:
        return web.FileResponse(index)

    async def static_file(request: web.Request) -> web.FileResponse:
        # Not `add_static`: its FileResponse answers a missing file with a bare 404 of its own,
        # past the middleware that gives every failure the JSON shape.
        path = await asyncio.to_thread(_file_under, root, request.match_info["filename"])
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path)

    app.router.add_get("/", page)
    app.router.add_get("/static/{filename:.+}", static_file)


def _file_under(root: Path, filename: str) -> Path | None:
    """The regular file `filename` names inside `root`, or None (symlinks may not leave it)."""
    try:
        if Path(filename).is_absolute():
            return None
        path = (root / filename).resolve()
        if not path.is_relative_to(root.resolve()) or not path.is_file():
            return None
    except (OSError, ValueError):  # a NUL byte, a name too long for the file system
        return None
    return path
