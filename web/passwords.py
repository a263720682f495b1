"""Password work off the database path: argon2id hashing and checks run on their own small pool of
threads (`PASSWORD_HASH_CONCURRENCY` per process, 64 MiB each), never inside a transaction or
while holding a pooled connection, so a burst of sign-ins cannot stall other routes.

The password rules are applied here and only here, to every new password.
"""

from __future__ import annotations

from anyio import CapacityLimiter, to_thread
from starlette.requests import Request

from db.errors import ValidationFailed
from db.passwords import hash_password, password_problem, verify_password


def _limiter(request: Request) -> CapacityLimiter:
    limiter: CapacityLimiter | None = getattr(request.app.state, "password_limiter", None)
    if limiter is None:
        limiter = CapacityLimiter(request.app.state.settings.password_hash_concurrency)
        request.app.state.password_limiter = limiter
    return limiter


async def hash_new_password(request: Request, password: str, email: str, field: str) -> str:
    """The hash of an acceptable new password; 422 naming `field` when the rules refuse it."""
    problem = password_problem(password, email)
    if problem:
        raise ValidationFailed({field: problem})
    return await to_thread.run_sync(hash_password, password, limiter=_limiter(request))


async def password_matches(request: Request, password_hash: str, password: str) -> bool:
    return await to_thread.run_sync(verify_password, password_hash, password, limiter=_limiter(request))
