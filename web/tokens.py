"""JWTs: issued and decoded in one place, HS256 pinned and every claim required.

python-jose trusts the header's algorithm unless told otherwise and checks `exp`/`iat`/`aud` only
when present, so `decode_token()` pins the algorithm and requires the claims explicitly.
"""

from __future__ import annotations

import functools
import secrets
import time
from dataclasses import dataclass

from jose import JWTError, jwk, jwt
from jose.backends.base import Key

from settings import MIN_SECRET_LENGTH, Settings

ALGORITHM = "HS256"
AUDIENCE = "howsmytrack-api"
MAX_INT32 = 2**31 - 1
MAX_JTI = 64
MAX_TIMESTAMP = 2**33  # the year 2242
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub", "jti", "ver", "orig_iat")


@dataclass(frozen=True)
class Claims:
    user_id: int
    jti: str
    version: int
    issued_at: int
    expires_at: int
    session_started_at: int


class BadToken(Exception):
    pass


def issue_token(
    settings: Settings, user_id: int, version: int, session_started_at: int | None = None
) -> tuple[str, Claims]:
    now = int(time.time())
    claims = Claims(
        user_id=user_id,
        jti=secrets.token_urlsafe(16),
        version=version,
        issued_at=now,
        expires_at=now + settings.token_ttl_seconds,
        session_started_at=session_started_at or now,
    )
    payload = {
        "sub": str(user_id),
        "jti": claims.jti,
        "ver": version,
        "iat": now,
        "exp": claims.expires_at,
        "orig_iat": claims.session_started_at,
        "iss": settings.token_issuer,
        "aud": AUDIENCE,
    }
    return jwt.encode(payload, _key(settings), algorithm=ALGORITHM), claims


def decode_token(settings: Settings, token: str) -> Claims:
    if len(token) > 4096:
        raise BadToken("token too long")
    try:
        payload = jwt.decode(
            token,
            _key(settings),
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=settings.token_issuer,
            options={f"require_{claim}": True for claim in ("exp", "iat", "iss", "aud", "sub", "jti")},
        )
    except (JWTError, ValueError, TypeError) as error:
        raise BadToken(str(error)) from None
    # `algorithms` pins the header's algorithm: python-jose refuses any other before checking.
    if any(claim not in payload for claim in REQUIRED_CLAIMS):
        raise BadToken("missing claims")
    subject = str(payload["sub"])
    try:
        claims = Claims(
            user_id=int(subject) if subject.isascii() and subject.isdigit() and len(subject) <= 10 else -1,
            jti=str(payload["jti"]),
            version=int(payload["ver"]),
            issued_at=int(payload["iat"]),
            expires_at=int(payload["exp"]),
            session_started_at=int(payload["orig_iat"]),
        )
    except (TypeError, ValueError, OverflowError):
        raise BadToken("malformed claims") from None
    # Values a database column can hold, whatever a key holder put in the token.
    in_range = (
        0 < claims.user_id <= MAX_INT32
        and 0 <= claims.version <= MAX_INT32
        and 0 < len(claims.jti) <= MAX_JTI
        and all(
            0 <= value < MAX_TIMESTAMP for value in (claims.issued_at, claims.expires_at, claims.session_started_at)
        )
    )
    if not in_range:
        raise BadToken("claims out of range")
    return claims


def _key(settings: Settings) -> Key:
    if len(settings.secret_key) < MIN_SECRET_LENGTH:
        raise RuntimeError("SECRET_KEY is too short to sign tokens")
    return _hmac_key(settings.secret_key)


@functools.lru_cache(maxsize=4)
def _hmac_key(secret: str) -> Key:
    """The key object, built once per secret. Given the bare secret, python-jose parses it as JSON
    and checks that it is no PEM or SSH key on every call: half of decoding a token."""
    return jwk.construct(secret, ALGORITHM)
