"""Who is calling: the token from the `JWT` cookie or a Bearer header, CSRF checks, the client address."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from db import rate_limits
from db.accounts import load_current_user
from db.audit import Actor
from db.connection import run_in_db
from db.errors import Forbidden, NotAuthenticated, NotFound
from settings import Settings
from web.tokens import BadToken, Claims, decode_token

COOKIE = "JWT"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
T = TypeVar("T")


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip(), False
        return None, False
    return request.cookies.get(COOKIE), True


def _origin_of(request: Request) -> str | None:
    origin = request.headers.get("origin")
    if origin and origin != "null":
        return origin.rstrip("/")
    referer = request.headers.get("referer")
    if referer:
        parts = urlsplit(referer)
        if parts.scheme and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return None


def _refuse() -> Forbidden:
    return Forbidden("forbidden", "Cross-site request refused: send it from an allowed origin.")


def check_csrf(request: Request, settings: Settings) -> None:
    """Cookie-authenticated unsafe requests must come from a configured public origin (WEB_URL's
    or CORS_ORIGINS), compared as configured, so a TLS-terminating proxy changes nothing."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = _origin_of(request)
    if origin is None or origin.lower() not in settings.allowed_origins:
        raise _refuse()


def refuse_foreign_origin(request: Request, settings: Settings) -> None:
    """For routes that set the session cookie: a browser request from a foreign origin is refused;
    one with no origin at all (an API client) is not."""
    origin = _origin_of(request)
    if origin is not None and origin.lower() not in settings.allowed_origins:
        raise _refuse()


def claims_of(request: Request) -> Claims:
    """The caller's verified token claims; NotAuthenticated when there is no valid token."""
    token, via_cookie = _token(request)
    if not token:
        raise NotAuthenticated()
    settings = settings_of(request)
    try:
        claims = decode_token(settings, token)
    except BadToken:
        raise NotAuthenticated("not_authenticated", "Your session is invalid or has expired; sign in again.") from None
    if via_cookie:
        check_csrf(request, settings)
    return claims


def current_claims(request: Request) -> Claims:
    """The claims the route guard already checked (see `web.routing.api`), else checked now."""
    claims: Claims | None = getattr(request.state, "claims", None)
    return claims or claims_of(request)


def _as_user(claims: Claims, fn: Callable[..., T], args: tuple[Any, ...]) -> T:
    user = load_current_user(claims.user_id, claims.version, claims.jti)
    return fn(user, *args)


async def with_user(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(current_user, *args)` as one database visit, after checking the caller's token."""
    claims = current_claims(request)
    return await run_in_db(_as_user, claims, fn, args)


def _admin(claims: Claims) -> Actor:
    try:
        user = load_current_user(claims.user_id, claims.version, claims.jti)
    except NotAuthenticated:
        raise NotFound() from None
    if not user.is_admin:
        raise NotFound()
    return Actor(user.id)


async def check_admin(request: Request) -> None:
    """The admin routes' guard: the caller must be an admin, or the route "does not exist" (404),
    checked before anything about the request (its query, its body) is looked at."""
    request.state.actor = await run_in_db(_admin, current_claims(request))


async def with_admin(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """Run `fn(actor, *args)` as one database visit, for the admin the route's guard let in."""
    actor: Actor = request.state.actor
    return await run_in_db(fn, actor, *args)


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.token_ttl_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not settings.is_development,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=not settings.is_development)


def client_address(request: Request) -> str:
    """The caller's address; `X-Forwarded-For` is believed only from a trusted proxy."""
    settings = settings_of(request)
    peer = request.client.host if request.client else "unknown"
    if peer not in settings.trusted_proxies:
        return peer
    hops = [hop.strip() for hop in request.headers.get("x-forwarded-for", "").split(",") if hop.strip()]
    # Walk from the nearest hop outwards, skipping our own proxies.
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if hop not in settings.trusted_proxies:
            return hop
    return peer


ADDRESS_WINDOW = 60


async def limit_address(request: Request) -> None:
    """Count an attempt against the caller's address: AUTH_RATE_PER_ADDRESS a minute for the auth
    routes and the others that can tell whether an address has an account."""
    settings = settings_of(request)
    key = f"auth-address:{client_address(request)}"
    await run_in_db(rate_limits.limit_attempt, key, settings.auth_rate_per_address, ADDRESS_WINDOW, settings.clock())
