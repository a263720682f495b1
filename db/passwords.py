"""Password rules and hashing (argon2id via argon2-cffi, whose defaults follow RFC 9106)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 1024
_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = (Path(__file__).parent / "common_passwords.txt").read_text()
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def password_problem(password: str, email: str | None) -> str | None:
    """Why `password` may not be used, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters"
    if len(password) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters"
    if password.isdigit():
        return "must not be only digits"
    lowered = password.lower()
    if lowered in common_passwords():
        return "is too common; choose another"
    if email:
        address = email.strip().lower()
        if lowered in (address, address.split("@")[0]):
            return "must not be your email address"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """Verified against when the email is unknown, so both failures cost the same time. Made on
    first use: an argon2 hash takes 64 MiB and tens of milliseconds, which importing this module
    (every job does, through db.accounts) must not cost."""
    return _hasher.hash("not-a-real-password-used-for-timing")
