"""SECRET_KEYS: tokens are signed with the first key and accepted with any, so rotating a new key in
signs nobody out and removing an old key ends its sessions.

Adversary notes: a token naming an unknown key id, or a key id borrowed from a valid token on a
forged signature, is refused; a token signed before keys had ids is still accepted while its key is
listed; the key id says nothing about the key (a 48-bit slice of its SHA-256)."""

from __future__ import annotations

import base64
import json

import pytest
from starlette.testclient import TestClient

from settings import ConfigError, Settings
from tests.builders import bearer, make_user
from web.app import build_app

OLD = "o" * 40
NEW = "n" * 40
ME = "/api/v1/me"


def _status(settings: Settings, headers: dict[str, str]) -> int:
    with TestClient(build_app(settings)) as client:
        return client.get(ME, headers=headers).status_code


def _header(token: str) -> dict[str, object]:
    head = token.split(".")[0]
    decoded: dict[str, object] = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    return decoded


def test_rotating_a_key_in_keeps_sessions_and_removing_one_ends_them(db: str, settings: Settings) -> None:
    user = make_user()
    before = settings.with_changes(secret_key=OLD, secret_keys=())
    during = settings.with_changes(secret_key="", secret_keys=(NEW, OLD))
    after = settings.with_changes(secret_key="", secret_keys=(NEW,))
    old_session = bearer(before, user)
    new_session = bearer(during, user)
    assert (
        _header(new_session["Authorization"].split()[1])["kid"]
        != _header(old_session["Authorization"].split()[1])["kid"]
    )
    assert _status(during, old_session) == 200  # signed with the old key: still honoured
    assert _status(during, new_session) == 200
    assert _status(before, new_session) == 401  # a replica not yet given the new key refuses it
    assert _status(after, old_session) == 401  # the old key removed: its sessions end
    assert _status(after, new_session) == 200


def test_a_token_naming_another_key_is_refused(db: str, settings: Settings) -> None:
    user = make_user()
    keys = settings.with_changes(secret_key="", secret_keys=(NEW, OLD))
    token = bearer(settings.with_changes(secret_key="x" * 40, secret_keys=()), user)["Authorization"].split()[1]
    head, payload, signature = token.split(".")
    borrowed = bearer(keys, user)["Authorization"].split()[1].split(".")[0]  # a listed key's id
    for forged_head in (head, borrowed):
        assert _status(keys, {"Authorization": f"Bearer {forged_head}.{payload}.{signature}"}) == 401


def test_a_token_without_a_key_id_is_tried_with_each_key(db: str, settings: Settings) -> None:
    from jose import jwt

    user = make_user()
    keys = settings.with_changes(secret_key="", secret_keys=(NEW, OLD))
    token = bearer(keys, user)["Authorization"].split()[1]
    claims = jwt.get_unverified_claims(token)
    unnamed = jwt.encode(claims, OLD, algorithm="HS256")
    assert "kid" not in _header(unnamed)
    assert _status(keys, {"Authorization": f"Bearer {unnamed}"}) == 200


@pytest.mark.parametrize(
    ("env", "refusal"),
    [
        ({"SECRET_KEYS": f"{NEW},{OLD}", "SECRET_KEY": OLD}, "SECRET_KEYS or SECRET_KEY, not both"),
        ({"SECRET_KEYS": f"{NEW},short"}, "SECRET_KEYS must be random values"),
        (
            {"ENVIRONMENT": "production", "DATABASE_URL": "postgresql://db/x", "WEB_URL": "https://x.example"},
            "required",
        ),
    ],
)
def test_key_lists_are_checked_at_start(env: dict[str, str], refusal: str) -> None:
    with pytest.raises(ConfigError, match=refusal):
        Settings.from_env(env)


def test_a_comma_separated_list_is_read_newest_first() -> None:
    settings = Settings.from_env({"SECRET_KEYS": f" {NEW} , {OLD} "})
    assert settings.signing_keys == (NEW, OLD)
