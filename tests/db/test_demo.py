from __future__ import annotations

import pytest

from db.__main__ import main as db_main
from db.connection import database
from db.demo import DEMO_EMAIL, load_demo_data
from db.groups import get_group, list_groups
from db.models import User
from tests.pg import database_env


def test_demo_data_shows_groups_at_different_stages_and_loads_once(db: str) -> None:
    assert load_demo_data().startswith("demo data added")
    assert load_demo_data().startswith("demo data already present")
    with database.connection_context():
        demo = User.get(User.email == DEMO_EMAIL)
        page = list_groups(demo.id, 1, 20)
        assert page["total"] == 2
        fresh, finished = (get_group(demo.id, item["id"]) for item in page["items"])
    assert finished["received"] and any(item["rating"] == 5 for item in finished["received"])
    assert fresh["received"] is None and fresh["received_count"] == 2


def test_demo_data_is_refused_in_production_unless_enabled(
    pg_db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("SECRET_KEY", "a-production-secret-of-forty-characters!")
    for name, value in database_env(pg_db).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("WEB_URL", "https://howsmytrack.example")
    monkeypatch.delenv("DEMO_ENABLED", raising=False)
    assert db_main(["demo"]) == 2 and "refused" in capsys.readouterr().err
    with database.connection_context():
        assert not User.select().where(User.email == DEMO_EMAIL).exists()
    monkeypatch.setenv("DEMO_ENABLED", "true")
    assert db_main(["demo"]) == 0
    with database.connection_context():
        assert User.select().where(User.email == DEMO_EMAIL).exists()


def test_a_demo_group_of_four_is_ready_around_the_demo_user_and_touches_nothing_else(db: str) -> None:
    from db.demo import seed_demo_group
    from db.models import FeedbackRequest
    from tests.builders import make_request, make_user

    load_demo_data()
    bystander = make_request(make_user())  # someone else's waiting request stays waiting
    message = seed_demo_group()
    assert message.startswith("demo group ")
    with database.connection_context():
        demo = User.get(User.email == DEMO_EMAIL)
        page = list_groups(demo.id, 1, 20)
        newest = get_group(demo.id, page["items"][0]["id"])
        assert page["total"] == 3 and newest["size"] == 4 and len(newest["to_review"]) == 3
        assert FeedbackRequest.get_by_id(bystander.id).group_id is None
    assert seed_demo_group().startswith("demo group ")
    with database.connection_context():
        assert list_groups(demo.id, 1, 20)["total"] == 4


def test_every_demo_conversation_makes_sense_and_no_feedback_repeats(db: str) -> None:
    from db.models import FeedbackRequest, FeedbackResponse, Reply

    load_demo_data()
    with database.connection_context():
        written = [
            str(r.feedback) for r in FeedbackResponse.select().where(FeedbackResponse.submitted_at.is_null(False))
        ]
        assert written and len(written) == len(set(written))  # nobody's review repeats another's
        prompts = [str(r.feedback_prompt) for r in FeedbackRequest.select()]
        assert len(prompts) == len(set(prompts))
        assert all(r.track_title for r in FeedbackRequest.select())
        for reply in Reply.select():
            about = str(reply.response.feedback).lower()
            # A reply's subject ("the pad") is something the feedback it answers talks about.
            for subject in ("pad", "filter sweep", "intro"):
                if subject in reply.text.lower():
                    assert subject in about, (reply.text, about)
