"""An account's life: the sign-up's confirmation link, what an unconfirmed address receives, a safe
email change, capped reset emails, the data export, and deletion (what goes, what stays)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import EmailOutbox, FeedbackRequest, FeedbackResponse, Reply, User, utcnow
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import Settings
from tests.builders import PASSWORD, add_reply, bearer, make_group, make_request, make_user, rate, submit
from tests.smtp import SmtpSink
from tests.web.conftest import ORIGIN
from web.app import build_app

REGISTER = "/api/v1/auth/register"


@pytest.fixture
def mailing(db: str, settings: Settings, smtp: SmtpSink) -> Iterator[tuple[TestClient, SmtpSink]]:
    app = build_app(settings.with_changes(smtp_url=smtp.url, web_url="https://howsmytrack.example"))
    with TestClient(
        app, base_url="https://howsmytrack.example", headers={"Origin": "https://howsmytrack.example"}
    ) as client:
        yield client, smtp


def _link(smtp: SmtpSink, to: str, path: str = "verify-email", nth: int = 1) -> str:
    """The link in the `nth` email to `to` (waiting for it to arrive), or in the latest one."""
    for message in reversed(smtp.expect(nth, to)[:nth]):
        if message["To"] == to:
            found = re.search(rf"/{path}\?token=(\S+)", smtp.bodies(message)[0])
            if found:
                return found[1]
    raise AssertionError(f"no {path} link sent to {to}")


def _queued(to: str) -> int:
    """Emails to `to` in the outbox, sent or not (what a cap let through)."""
    with database.connection_context():
        return int(EmailOutbox.select().where(EmailOutbox.to_address == to).count())


def _me(client: TestClient) -> dict[str, Any]:
    user: dict[str, Any] = client.get("/api/v1/me").json()["user"]
    return user


def test_sign_up_sends_a_single_use_confirmation_link(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    assert client.post(REGISTER, json={"email": "ada@example.com", "password": "a fine passphrase"}).status_code == 201
    assert _me(client)["email_verified"] is False
    token = _link(smtp, "ada@example.com")
    assert client.post("/api/v1/auth/verify-email", json={"token": token}).status_code == 204
    assert _me(client)["email_verified"] is True
    again = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert again.status_code == 400 and again.json()["error"]["code"] == "invalid_token"
    resend = client.post("/api/v1/me/verification-email")
    assert resend.status_code == 409 and resend.json()["error"]["code"] == "nothing_to_verify"


def test_a_new_link_replaces_the_old_and_resending_is_capped(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    client.post(REGISTER, json={"email": "bo@example.com", "password": "a fine passphrase"})
    first = _link(smtp, "bo@example.com")
    assert client.post("/api/v1/me/verification-email").status_code == 202
    second = _link(smtp, "bo@example.com", nth=2)
    assert second != first
    assert client.post("/api/v1/auth/verify-email", json={"token": first}).status_code == 400
    for _ in range(2):
        assert client.post("/api/v1/me/verification-email").status_code == 202
    capped = client.post("/api/v1/me/verification-email")
    assert capped.status_code == 429 and capped.json()["error"]["code"] == "rate_limited"
    assert (
        client.post("/api/v1/auth/verify-email", json={"token": _link(smtp, "bo@example.com", nth=4)}).status_code
        == 204
    )


def test_an_unconfirmed_address_gets_no_group_emails(db: str, settings: Settings) -> None:
    confirmed, unconfirmed = make_user(), make_user(email_verified_at=None)
    for user in (confirmed, unconfirmed, make_user(), make_user()):
        make_request(user, email_when_grouped=True)
    status, _ = execute("assign_groups", lambda: assign_groups(settings))
    assert status == 0
    with database.connection_context():
        emailed = {row.user_id for row in EmailOutbox.select()}
    assert confirmed.id in emailed and unconfirmed.id not in emailed


def test_changing_email_needs_the_password_and_a_confirmed_link(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    client.post(REGISTER, json={"email": "cy@example.com", "password": "a fine passphrase"})
    make_user("taken@example.com")
    missing = client.patch("/api/v1/me", json={"email": "new@example.com"})
    assert missing.status_code == 422 and "current_password" in missing.json()["error"]["fields"]
    wrong = client.patch("/api/v1/me", json={"email": "new@example.com", "current_password": "not it at all"})
    assert wrong.status_code == 422 and "current_password" in wrong.json()["error"]["fields"]
    taken = client.patch("/api/v1/me", json={"email": "TAKEN@example.com", "current_password": "a fine passphrase"})
    assert taken.status_code == 409 and taken.json()["error"]["code"] == "email_taken"
    changed = client.patch("/api/v1/me", json={"email": "new@example.com", "current_password": "a fine passphrase"})
    assert changed.status_code == 200
    user = changed.json()["user"]
    assert user["email"] == "cy@example.com" and user["pending_email"] == "new@example.com"
    # Until confirmed, the old address still signs in and the new one does not.
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "new@example.com", "password": "a fine passphrase"}
        ).status_code
        == 401
    )
    assert client.post("/api/v1/auth/verify-email", json={"token": _link(smtp, "new@example.com")}).status_code == 204
    user = _me(client)
    assert user["email"] == "new@example.com" and user["pending_email"] is None and user["email_verified"]
    assert any("changed" in m["Subject"] for m in smtp.expect(2, "cy@example.com"))
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "new@example.com", "password": "a fine passphrase"}
        ).status_code
        == 200
    )


def test_probing_email_changes_is_limited_like_sign_in(db: str, settings: Settings) -> None:
    app = build_app(settings.with_changes(auth_rate_per_address=3))
    with TestClient(app, headers={"Origin": ORIGIN}) as client:
        user = make_user()
        answers = [
            client.patch(
                "/api/v1/me",
                headers=bearer(settings, user),
                json={"email": f"probe{n}@example.com", "current_password": PASSWORD},
            ).status_code
            for n in range(5)
        ]
    assert answers[:3] == [200, 200, 200] and answers[3:] == [429, 429]


def test_reset_emails_are_capped_per_account(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    make_user("dee@example.com")
    for _ in range(5):
        assert client.post("/api/v1/auth/password-reset", json={"email": "dee@example.com"}).status_code == 202
    assert _queued("dee@example.com") == 3
    assert len(smtp.expect(3, "dee@example.com")) == 3


def test_the_export_holds_everything_about_the_caller_and_nobody_elses_identity(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=3)
    me, writer, _ = group.users
    submit(group.response(writer, me), "Secret-free feedback")
    for response in group.to_review(me):
        submit(response, "Mine")
    answer = client.get("/api/v1/me/export", headers=bearer(settings, me))
    assert answer.status_code == 200 and "attachment" in answer.headers["content-disposition"]
    document = answer.json()
    assert document["user"]["email"] == me.email
    assert [r["id"] for r in document["requests"]] == [group.requests[me.id].id]
    assert (
        len(document["feedback_written"]) == 2
        and document["feedback_received"][0]["feedback"] == "Secret-free feedback"
    )
    text = json.dumps(document)
    assert writer.email not in text and f'"user_id": {writer.id}' not in text


def test_deleting_an_account_erases_it_and_nobody_waits_on_it(client: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    leaver, other, third = group.users
    submit(group.response(leaver, other), "Written before leaving")  # stays, anonymous
    submit(group.response(other, leaver))  # written on the leaver's track: stays
    waiting = make_request(leaver, genre="pop")  # a request not yet grouped: withdrawn
    headers = bearer(settings, leaver)
    wrong = client.request("DELETE", "/api/v1/me", headers=headers, json={"password": "not it at all"})
    assert wrong.status_code == 422
    assert client.request("DELETE", "/api/v1/me", headers=headers, json={"password": PASSWORD}).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    with database.connection_context():
        gone = User.get_by_id(leaver.id)
        assert gone.email != leaver.email and gone.deleted_at is not None
        assert not FeedbackRequest.select().where(FeedbackRequest.id == waiting.id).exists()
        owed_by_leaver = FeedbackResponse.select().where(
            (FeedbackResponse.user == leaver.id) & FeedbackResponse.submitted_at.is_null()
        )
        assert not owed_by_leaver.exists()
        # Third had not reviewed the leaver's track: it left their list; other's review of it stays.
        on_leavers_track = FeedbackResponse.select().where(FeedbackResponse.request == group.requests[leaver.id].id)
        assert [r.user_id for r in on_leavers_track] == [other.id]
        assert FeedbackResponse.get(FeedbackResponse.user == leaver.id).feedback == "Written before leaving"
    third_view = client.get(f"/api/v1/groups/{group.group.id}", headers=bearer(settings, third)).json()["group"]
    assert group.requests[leaver.id].id not in [item["request"]["id"] for item in third_view["to_review"]]
    again = client.post(REGISTER, json={"email": leaver.email, "password": "a fine passphrase"})
    assert again.status_code == 201 and again.json()["user"]["id"] != leaver.id
    login = client.post("/api/v1/auth/login", json={"email": gone.email, "password": PASSWORD})
    assert login.status_code == 401


def test_a_new_address_taken_before_its_link_is_used_is_refused(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    first, second = make_user(), make_user()
    for user in (first, second):
        changed = client.patch(
            "/api/v1/me",
            headers=bearer(client.app.state.settings, user),  # type: ignore[attr-defined]
            json={"email": "wanted@example.com", "current_password": PASSWORD},
        )
        assert changed.status_code == 200
    links = [re.search(r"token=(\S+)", smtp.bodies(m)[0])[1] for m in smtp.expect(2, "wanted@example.com")]  # type: ignore[index]
    assert client.post("/api/v1/auth/verify-email", json={"token": links[0]}).status_code == 204
    late = client.post("/api/v1/auth/verify-email", json={"token": links[1]})
    assert late.status_code == 409 and late.json()["error"]["code"] == "email_taken"


def test_an_email_that_cannot_be_written_does_not_break_the_connection(settings: Settings, tmp_path: Any) -> None:
    """Development without SMTP writes mail to a folder; one that cannot be made fails that email only."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    app = build_app(settings.with_changes(mail_folder=str(blocked / "mail")))
    with TestClient(app, headers={"Origin": ORIGIN}) as client:
        body = {"email": "fay@example.com", "password": "a fine passphrase"}
        assert client.post(REGISTER, json=body).status_code == 201
        assert client.get("/api/v1/me").status_code == 200  # the same connection still answers


def test_the_export_holds_no_received_feedback_the_owner_may_not_read_yet(
    client: TestClient, settings: Settings
) -> None:
    """The group page answers `received: null` while the owner still owes feedback; so does the export."""
    group = make_group(n=3)
    me, writer, _ = group.users
    submit(group.response(writer, me), "Unlock me first")
    headers = bearer(settings, me)
    assert client.get(f"/api/v1/groups/{group.group.id}", headers=headers).json()["group"]["received"] is None
    locked = client.get("/api/v1/me/export", headers=headers).json()
    assert locked["feedback_received"] == [] and "Unlock me first" not in json.dumps(locked)
    for response in group.to_review(me):
        submit(response, "Mine")
    unlocked = client.get("/api/v1/me/export", headers=headers).json()
    assert [row["feedback"] for row in unlocked["feedback_received"]] == ["Unlock me first"]


def test_the_export_shows_moderated_text_as_removed_except_to_its_writer(
    client: TestClient, settings: Settings
) -> None:
    group = make_group(n=2)
    me, writer = group.users
    theirs, mine = group.response(writer, me), group.response(me, writer)
    submit(theirs, "Rude words about the pad")
    submit(mine, "My own careful notes")
    rate(theirs, 2)
    add_reply(theirs, writer, "A rude reply")
    add_reply(theirs, me, "My reply")
    with database.connection_context():
        FeedbackResponse.update(hidden_at=utcnow()).where(FeedbackResponse.id.in_([theirs.id, mine.id])).execute()
        Reply.update(hidden_at=utcnow()).execute()
    owner = client.get("/api/v1/me/export", headers=bearer(settings, me)).json()
    assert owner["feedback_received"][0]["feedback"] == "" and owner["feedback_received"][0]["removed_by_moderator"]
    assert "Rude words" not in json.dumps(owner) and "A rude reply" not in json.dumps(owner)
    assert owner["feedback_written"][0]["feedback"] == "My own careful notes"  # the writer keeps their own
    assert [(r["author"], r["text"]) for r in owner["replies"]] == [("them", ""), ("you", "My reply")]
    other = client.get("/api/v1/me/export", headers=bearer(settings, writer)).json()
    assert other["feedback_written"][0]["feedback"] == "Rude words about the pad"
    assert other["feedback_written"][0]["removed_by_moderator"] is True


def _start_change(client: TestClient, user: User, address: str) -> Any:
    return client.patch(
        "/api/v1/me",
        headers=bearer(client.app.state.settings, user),  # type: ignore[attr-defined]
        json={"email": address, "current_password": PASSWORD},
    )


def _refused(client: TestClient, token: str) -> None:
    answer = client.post("/api/v1/auth/verify-email", json={"token": token})
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("cancel", ["address set back", "password changed", "password reset", "change replaced"])
def test_a_cancelled_email_change_link_no_longer_takes_the_account(
    mailing: tuple[TestClient, SmtpSink], cancel: str
) -> None:
    """An attacker with the password starts a change to their own address; the owner cancels it."""
    client, smtp = mailing
    owner = make_user("owner@example.com")
    assert _start_change(client, owner, "thief@example.com").status_code == 200
    stolen = _link(smtp, "thief@example.com")
    if cancel == "address set back":
        assert _start_change(client, owner, "owner@example.com").status_code == 200
    elif cancel == "password changed":
        body = {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
        headers = bearer(client.app.state.settings, owner)  # type: ignore[attr-defined]
        assert client.put("/api/v1/me/password", headers=headers, json=body).status_code == 204
    elif cancel == "password reset":
        assert client.post("/api/v1/auth/password-reset", json={"email": "owner@example.com"}).status_code == 202
        reset = _link(smtp, "owner@example.com", "reset-password")
        body = {"token": reset, "password": "a brand new passphrase"}
        assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 204
    else:
        assert _start_change(client, owner, "owner.new@example.com").status_code == 200
    _refused(client, stolen)
    with database.connection_context():
        after = User.get_by_id(owner.id)
    assert after.email == "owner@example.com"
    assert after.pending_email == ("owner.new@example.com" if cancel == "change replaced" else None)


def test_a_change_link_whose_address_is_no_longer_pending_is_refused(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    owner = make_user("pat@example.com")
    assert _start_change(client, owner, "pat.new@example.com").status_code == 200
    token = _link(smtp, "pat.new@example.com")
    with database.connection_context():  # the pending change went some other way (an old row, a hand edit)
        User.update(pending_email=None).where(User.id == owner.id).execute()
    _refused(client, token)


def test_email_changes_are_capped_per_account(mailing: tuple[TestClient, SmtpSink]) -> None:
    client, smtp = mailing
    user = make_user("cap@example.com")
    answers = [_start_change(client, user, f"relay{index}@example.com").status_code for index in range(4)]
    assert answers == [200, 200, 200, 429]
    assert [_queued(f"relay{index}@example.com") for index in range(4)] == [1, 1, 1, 0]
    for index in range(3):
        smtp.expect(1, f"relay{index}@example.com")
