"""Settings: the README's table is the class's fields, and the environment is read by the library."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from settings import ConfigError, Settings

README = Path(__file__).parents[1] / "README.md"


def test_the_readme_lists_exactly_the_settings_the_class_defines() -> None:
    section = README.read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", section, re.MULTILINE))
    defined = {name.upper() for name in Settings.model_fields if name != "clock"}
    assert listed == defined, (sorted(listed - defined), sorted(defined - listed))


def test_the_environment_and_dot_env_are_read_with_the_environment_winning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text(
        "MAX_STREAMS=7\nCORS_ORIGINS=https://a.example/, https://b.example\nLOG_LEVEL=debug\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LOG_LEVEL", "warning")
    settings = Settings.from_env()
    assert settings.max_streams == 7 and settings.log_level == "WARNING"
    assert settings.cors_origins == ("https://a.example", "https://b.example")
    monkeypatch.setenv("MAX_STREAMS", "0")
    with pytest.raises(ConfigError, match=r"^MAX_STREAMS: Input should be greater than or equal to 1$"):
        Settings.from_env()
