"""JWTs: issued and decoded in one place, HS256 pinned and every claim required.

python-jose trusts the header's algorithm unless told otherwise and checks `exp`/`iat`/`aud` only
when present, so `decode_token()` pins the algorithm and requires the claims explicitly.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any

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
    key = _signing_keys(settings)[0]
    return jwt.encode(payload, key.key, algorithm=ALGORITHM, headers={"kid": key.kid}), claims


def decode_token(settings: Settings, token: str) -> Claims:
    if len(token) > 4096:
        raise BadToken("token too long")
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        keys = [key for key in _signing_keys(settings) if kid is None or key.kid == kid]
        if not keys:
            raise BadToken("signed with a key that is no longer accepted")
        payload = _decode(token, keys, settings.token_issuer)
    except (JWTError, ValueError, TypeError, AttributeError) as error:
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


def _decode(token: str, keys: list[SigningKey], issuer: str) -> dict[str, Any]:
    """The payload, verified with the key the token names (a token without `kid`, issued before keys
    had ids, is tried with each key in turn)."""
    for key in keys[:-1]:
        try:
            return _verified(token, key, issuer)
        except JWTError as error:
            if type(error) is not JWTError:  # the signature held (the claims did not): no other key will do
                raise
    return _verified(token, keys[-1], issuer)


def _verified(token: str, key: SigningKey, issuer: str) -> dict[str, Any]:
    payload: dict[str, Any] = jwt.decode(
        token,
        key.key,
        algorithms=[ALGORITHM],
        audience=AUDIENCE,
        issuer=issuer,
        options={f"require_{claim}": True for claim in ("exp", "iat", "iss", "aud", "sub", "jti")},
    )
    return payload


@dataclass(frozen=True)
class SigningKey:
    kid: str  # names the key in the token's header without telling anything about it
    key: Key


def _signing_keys(settings: Settings) -> tuple[SigningKey, ...]:
    if any(len(secret) < MIN_SECRET_LENGTH for secret in settings.signing_keys):
        raise RuntimeError("SECRET_KEYS are too short to sign tokens")
    return _keys_for(settings.signing_keys)


@functools.lru_cache(maxsize=8)
def _keys_for(secrets_: tuple[str, ...]) -> tuple[SigningKey, ...]:
    return tuple(SigningKey(hashlib.sha256(secret.encode()).hexdigest()[:12], _hmac_key(secret)) for secret in secrets_)


@functools.lru_cache(maxsize=4)
def _hmac_key(secret: str) -> Key:
    """The key object, built once per secret. Given the bare secret, python-jose parses it as JSON
    and checks that it is no PEM or SSH key on every call: half of decoding a token."""
    return jwk.construct(secret, ALGORITHM)
