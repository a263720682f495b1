from __future__ import annotations

from dataclasses import replace

import pytest

from application import Settings
from tests.smtp import SmtpSink


@pytest.fixture
def mail_settings(settings: Settings, smtp: SmtpSink) -> Settings:
    return replace(settings, smtp_url=smtp.url, web_url="https://howsmytrack.example")
