from __future__ import annotations

import pytest

from settings import Settings
from tests.smtp import SmtpSink


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpSink) -> Settings:
    return settings.with_changes(smtp_url=smtp.url, web_url="https://howsmytrack.example")
