"""This web process's email sender: sends the account emails (links, resets, change notices) that
units of work queue in the outbox, promptly and after the answer, so the answer's timing never
depends on the SMTP server, and no email depends on this process living on.

A thread: it sends whatever is due when the process starts, then whenever a commit queues an email
(a NOTIFY on PostgreSQL, heard on its own LISTEN connection to DIRECT_DATABASE_URL; this process's
own commits on SQLite), and at least every POLL_SECONDS or when the next retry falls due. Several
processes send side by side; the outbox's claims make each email go once. The cron container's
`send_emails` job is the safety net for every kind.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading

from db import outbox
from db.connection import DATABASE_ERRORS, BackgroundConnection
from db.notification_listener import PgListener
from mail import Mailer
from settings import Settings

log = logging.getLogger("howsmytrack.mail")


class MailSender:
    """Started with the app (`begin`) and stopped with it (`stop`); an app may start again."""

    POLL_SECONDS = 30.0
    RETRY_SECONDS = 2.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.mailer = Mailer(settings)
        self.sent = 0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._listener: PgListener | None = None
        self._thread: threading.Thread | None = None
        self._connection = BackgroundConnection()

    def wake(self) -> None:
        self._wake.set()

    def begin(self) -> None:
        self._stopping.clear()
        if self.settings.database_url.startswith("sqlite"):
            outbox.wake_me_locally(self.wake)
        else:
            self._listener = PgListener(self.settings.direct_url, outbox.CHANNEL, lambda _: self.wake(), self.wake)
            self._listener.start()
        self._thread = threading.Thread(target=self._run, name="mail-sender", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        outbox.stop_waking_me_locally(self.wake)
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self._connection.close()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            wait = self.POLL_SECONDS
            try:
                with self._connection.use():
                    delivery = outbox.deliver(outbox.ACCOUNT_KINDS, self.settings, self.mailer, outbox.ACCOUNT_BATCH)
                    due = outbox.next_due(outbox.ACCOUNT_KINDS)
                self.sent += delivery.sent
                for problem in delivery.problems("account email"):
                    log.warning("%s", problem)
                if due is not None:
                    wait = min(wait, max((due - outbox.at(self.settings.clock())) / dt.timedelta(seconds=1), 0.0))
            except DATABASE_ERRORS as error:
                log.warning("mail sender: database unavailable, trying again: %s", error)
                wait = self.RETRY_SECONDS
            except Exception:  # a sender that stops loses nothing (the outbox keeps it) but must not stop
                log.exception("mail sender failed; trying again")
                wait = self.RETRY_SECONDS
            self._wake.wait(max(wait, 0.05))
