"""The web client (client/, built into client/dist by Vite), served at `/` by the same app.

Hashed assets under /assets are cached for a year; every other path that is not the API's gets
`index.html` (never cached), so the client's own routes (`/groups/{id}`, `/reset-password?token=…`,
the ones emails link to) load directly. Unknown `/api/...` paths keep their JSON 404.
"""

from __future__ import annotations

from pathlib import Path

from starlette.convertors import Convertor, register_url_convertor
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

DIST = Path(__file__).parents[1] / "client" / "dist"
NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>How's My Track?</title></head>
<body><main><h1>The web client is not built</h1><p>Run <code>make run</code>, which builds it.</p></main></body></html>
"""


class HashedAssets(StaticFiles):
    """Vite names each asset by its content's hash, so a file at a given path never changes."""

    def file_response(self, *args: object, **kwargs: object) -> Response:
        response = super().file_response(*args, **kwargs)  # type: ignore[arg-type]
        response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
        return response


class ClientPath(Convertor[str]):
    """Any path but the server's own (API, docs, health), which keep their own 404s and 405s."""

    regex = r"(?!api/|api$|docs|openapi\.json|healthz|readyz|assets/).*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("client_path", ClientPath())


async def index(request: Request) -> Response:
    page = DIST / "index.html"
    if not page.exists():
        return HTMLResponse(NOT_BUILT, status_code=503, headers={"Cache-Control": "no-store"})
    return FileResponse(page, media_type="text/html", headers={"Cache-Control": "no-cache"})


def routes() -> list[BaseRoute]:
    """Last in the table: the catch-all answers only what no other route took."""
    assets: list[BaseRoute] = []
    if (DIST / "assets").is_dir():
        assets.append(Mount("/assets", app=HashedAssets(directory=DIST / "assets"), name="client-assets"))
    return [*assets, Route("/{path:client_path}", index, methods=["GET"])]
