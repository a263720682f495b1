"""The app factory: `uvicorn application:app` builds the app on first access, so importing this
module has no side effects. Configuration lives in `settings.py` (read once, typed); a production
process with unsafe settings refuses to start with a one-line reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from settings import ConfigError, Settings, load_settings

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["ConfigError", "Settings", "create_app", "load_settings"]


def create_app(settings: Settings | None = None) -> Starlette:
    from web.app import build_app

    return build_app(settings or load_settings())


_app: Starlette | None = None


def __getattr__(name: str) -> Any:
    # `uvicorn application:app` asks for the attribute; building it lazily keeps imports pure.
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(name)
