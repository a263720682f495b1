"""Read-your-writes across replicas, the HTTP side (the rules: db/read_routing.py).

A response to a request that wrote carries the primary's WAL position after the write: in the
`X-Wal-Position` header (Bearer clients send it back as the same request header) and, for browser
sessions, in a short-lived cookie the browser sends back by itself. A later read waits for nothing:
it goes to a replica that has replayed that position, or to the primary.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from db.read_routing import begin_visit, parse_position
from db.replicas import lsn_text
from web.session import COOKIE as SESSION_COOKIE

HEADER = "X-Wal-Position"
COOKIE = "wal_position"
# Long enough for any usable replica to have replayed the write (they lag at most REPLICA_MAX_LAG_S).
COOKIE_SECONDS = 300


class ReadPositionMiddleware:
    def __init__(self, app: ASGIApp, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        cookies = cookie_parser(headers.get("cookie", ""))
        visit = begin_visit(
            max(parse_position(headers.get(HEADER)), parse_position(cookies.get(COOKIE))),
            may_write=scope["method"] not in ("GET", "HEAD", "OPTIONS"),
        )
        browser = SESSION_COOKIE in cookies

        async def send_with_position(message: Message) -> None:
            if message["type"] == "http.response.start" and visit.written_lsn:
                out = MutableHeaders(scope=message)
                text = lsn_text(visit.written_lsn)
                out[HEADER] = text
                if browser:
                    out.append("set-cookie", self._cookie(text))
            await send(message)

        await self.app(scope, receive, send_with_position)

    def _cookie(self, text: str) -> str:
        cookie: SimpleCookie = SimpleCookie()
        cookie[COOKIE] = text
        morsel = cookie[COOKIE]
        morsel["path"] = "/api/"
        morsel["max-age"] = COOKIE_SECONDS
        morsel["httponly"] = True
        morsel["samesite"] = "lax"
        morsel["secure"] = self.secure
        return morsel.OutputString()
