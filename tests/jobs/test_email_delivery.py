"""Outbox delivery: one bad recipient fails alone, a broken connection loses nothing delivered,
and simultaneous senders never send one email twice."""

from __future__ import annotations

import logging
import smtplib
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import mail
from db import outbox
from db.connection import database
from db.models import EmailOutbox, utcnow
from jobs.assign_groups import assign_groups
from jobs.runner import execute
from settings import ConfigError, Settings
from tests.builders import make_group, make_request, make_user
from tests.smtp import SmtpSink

LOOKALIKE = "x@h\u043ewsmytrack.example"  # a Cyrillic o


def _queue_grouped(count: int) -> list[str]:
    """`count` grouped members each with a queued "grouped" email; returns their addresses."""
    group = make_group(n=count)
    with database.connection_context(), database.atomic():
        for user in group.users:
            EmailOutbox.create(user=user, kind=outbox.GROUPED, request=group.requests[user.id], created_at=utcnow())
    return [user.email for user in group.users]


@pytest.fixture
def sink_factory() -> Iterator[list[SmtpSink]]:
    sinks: list[SmtpSink] = []
    yield sinks
    for sink in sinks:
        sink.stop()


def _sink(sinks: list[SmtpSink], **options: object) -> SmtpSink:
    sink = SmtpSink(**options)  # type: ignore[arg-type]
    sink.start()
    sinks.append(sink)
    return sink


def test_an_undeliverable_address_fails_alone_and_the_run_succeeds(
    db: str, mail_settings: Settings, smtp: SmtpSink
) -> None:
    bad = make_user(LOOKALIKE)  # registered before addresses were checked
    good = [make_user(f"member{index}@example.com") for index in range(3)]
    for user in [bad, *good]:
        make_request(user, email_when_grouped=True)
    status, result = execute("assign_groups", lambda: assign_groups(mail_settings))
    assert status == 0 and result.outcome == "ok"
    assert sorted(message["To"] for message in smtp.messages) == sorted(user.email for user in good)
    assert result.counts["emails_refused"] == 1 and "refused for good" in result.problems[0]
    with database.connection_context():
        row = EmailOutbox.get(EmailOutbox.user == bad.id)
        assert row.failed_at is not None and row.sent_at is None and "ASCII" in row.last_error
    status, again = execute("assign_groups", lambda: assign_groups(mail_settings))
    assert status == 0 and again.counts["emails_refused"] == 0 and len(smtp.messages) == 3


# Servers that offer PIPELINING get MAIL, RCPT and DATA in one write; the others one at a time.
both_ways = pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])


@both_ways
def test_a_recipient_the_server_refuses_fails_alone(
    db: str, settings: Settings, sink_factory: list[SmtpSink], pipelining: bool
) -> None:
    addresses = _queue_grouped(4)
    sink = _sink(sink_factory, refuse=frozenset({addresses[1]}), pipelining=pipelining)
    delivery = outbox.deliver([outbox.GROUPED], settings.with_changes(smtp_url=sink.url))
    assert (delivery.sent, delivery.refused, delivery.retrying) == (3, 1, 0)
    assert sorted(message["To"] for message in sink.messages) == sorted(addresses[:1] + addresses[2:])
    with database.connection_context():
        refused = EmailOutbox.get(EmailOutbox.failed_at.is_null(False))
    assert "recipient refused" in refused.last_error and "550" in refused.last_error
    assert outbox.deliver([outbox.GROUPED], settings.with_changes(smtp_url=sink.url)).sent == 0


@both_ways
def test_a_connection_lost_mid_batch_keeps_what_was_delivered(
    db: str, settings: Settings, sink_factory: list[SmtpSink], pipelining: bool
) -> None:
    addresses = _queue_grouped(5)
    flaky = _sink(sink_factory, accept_at_most=2, pipelining=pipelining)
    first = outbox.deliver([outbox.GROUPED], settings.with_changes(smtp_url=flaky.url))
    assert (first.sent, first.retrying) == (2, 3)
    healthy = _sink(sink_factory)
    at_once = outbox.deliver([outbox.GROUPED], settings.with_changes(smtp_url=healthy.url))
    assert at_once.sent == 0  # the failed ones wait their back-off
    later = settings.clock() + outbox.FIRST_RETRY.total_seconds()
    second = outbox.deliver([outbox.GROUPED], settings.with_changes(smtp_url=healthy.url, clock=lambda: later))
    assert (second.sent, second.retrying) == (3, 0)
    delivered = [message["To"] for message in flaky.messages + healthy.messages]
    assert sorted(delivered) == sorted(addresses)


def test_pipelined_content_keeps_lines_that_start_with_a_dot(sink_factory: list[SmtpSink]) -> None:
    sink = _sink(sink_factory)
    body = ".starts with a dot\r\n..and two\r\n.\r\nend\r\n"
    with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
        smtp.ehlo()
        assert smtp.has_extn("pipelining")
        assert mail._send_pipelined(smtp, "a@example.com", f"Subject: dots\r\n\r\n{body}".encode()) is None
    assert sink.messages[0].get_payload() == body


def test_simultaneous_senders_send_each_email_once(db: str, mail_settings: Settings, smtp: SmtpSink) -> None:
    addresses = _queue_grouped(8)
    barrier = threading.Barrier(3)
    results: list[outbox.Delivery] = []

    def send() -> None:
        with database.connection_context():
            barrier.wait()
            results.append(outbox.deliver([outbox.GROUPED], mail_settings))

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(result.sent for result in results) == 8
    assert Counter(message["To"] for message in smtp.messages) == Counter(addresses)


def test_a_smtp_url_with_another_scheme_fails_at_start_up() -> None:
    for url in ("http://mail.example", "smtp://", "mail.example:25"):
        with pytest.raises(ConfigError, match="SMTP_URL"):
            Settings.from_env({"SMTP_URL": url})
    assert Settings.from_env({"SMTP_URL": "smtp+starttls://user:pw@mail.example:587"}).smtp_url


def test_in_development_the_log_gives_each_mail_folder_emails_links_in_plain_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from mail import Mailer, Message

    mailer = Mailer(Settings(mail_folder=str(tmp_path / "mail")))
    link = "http://127.0.0.1:8000/verify-email?token=abc_DEF-123"
    with caplog.at_level(logging.INFO, logger="howsmytrack.mail"):
        mailer.send(Message(to="ada@example.com", subject="Confirm", text=f"Hello\n\n{link}\n", html="<p>Hello</p>"))
    assert link in caplog.text and len(list((tmp_path / "mail").iterdir())) == 1


def test_send_emails_is_the_safety_net_for_every_kind(db: str, mail_settings: Settings, smtp: SmtpSink) -> None:
    """Queued while no web process was sending (an account email) or left over from a job's run (a
    group email): the cron job sends both, once, and a second run finds nothing."""
    from jobs.send_emails import send_emails

    addresses = _queue_grouped(1)
    newcomer = make_user("new.member@example.com", email_verified_at=None)
    with database.connection_context(), database.atomic():
        outbox.queue_account_email(newcomer.id, outbox.VERIFY_ADDRESS, newcomer.email, token="t0ken", change=False)
    status, result = execute("send_emails", lambda: send_emails(mail_settings))
    assert status == 0 and result.counts == {"sent": 2, "retrying": 0, "refused": 0}
    assert sorted(message["To"] for message in smtp.messages) == sorted([*addresses, "new.member@example.com"])
    assert "verify-email?token=t0ken" in smtp.bodies(smtp.messages[-1])[0]
    status, again = execute("send_emails", lambda: send_emails(mail_settings))
    assert status == 0 and again.counts["sent"] == 0
