from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import httpx
import pytest
from starlette.testclient import TestClient

from db.connection import database
from db.models import FeedbackRequest, utcnow
from db.schedule import daily_times
from settings import Settings
from tests.builders import bearer, make_group, make_request, make_user

URL = "/api/v1/feedback-requests"
TRACK = "https://soundcloud.com/some-artist/some-track"


def create(client: TestClient, headers: dict, **body: object) -> httpx.Response:
    return client.post(
        URL, json={"media_url": TRACK, "genre": "electronic", "feedback_prompt": "Mix?", **body}, headers=headers
    )


def test_genres_are_public_and_complete(anon: TestClient) -> None:
    response = anon.get("/api/v1/genres")
    assert response.status_code == 200
    keys = [genre["key"] for genre in response.json()]
    assert keys == ["electronic", "hip_hop", "jazz", "urban_rnb", "pop", "rock_metal_punk", "no_genre"]
    assert all(genre["label"] for genre in response.json())


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        (TRACK, "soundcloud"),
        ("https://drive.google.com/file/d/1AbC_dEf/view", "google_drive"),
        ("https://evil.example/?https://soundcloud.com/a/b", None),
        ("javascript:alert(1)", None),
    ],
)
def test_media_info_reports_the_link_type(anon: TestClient, url: str, kind: str | None) -> None:
    response = anon.get("/api/v1/media-info", params={"url": url})
    assert response.status_code == 200
    embed = response.json().pop("embed_url")
    assert response.json() | {"embed_url": None} == {"media_url": url, "media_type": kind, "embed_url": None}
    assert (embed is not None) == (kind is not None)  # a preview player for every accepted link
    if kind == "google_drive":
        assert embed == "https://drive.google.com/file/d/1AbC_dEf/preview"


def test_media_info_needs_a_url(anon: TestClient) -> None:
    response = anon.get("/api/v1/media-info")
    assert response.status_code == 422 and "url" in response.json()["error"]["fields"]
    long = anon.get("/api/v1/media-info", params={"url": "https://soundcloud.com/" + "a" * 3000})
    assert long.status_code == 422


def test_create_request_anonymous_is_refused(anon: TestClient) -> None:
    assert create(anon, {}).status_code == 401


def test_create_request_returns_the_request(anon: TestClient, settings: Settings) -> None:
    user = make_user()
    response = create(anon, bearer(settings, user), media_url=f"  {TRACK}  ", email_when_grouped=True)
    assert response.status_code == 201, response.text
    request = response.json()["request"]
    assert request["media_url"] == TRACK and request["media_type"] == "soundcloud"
    assert request["genre"] == "electronic" and request["feedback_prompt"] == "Mix?"
    assert request["email_when_grouped"] is True and request["group_id"] is None and request["track"] is None
    assert request["created_at"].endswith("Z")
    assert request["track_status"] == "pending"
    assert request["embed_url"] == "https://w.soundcloud.com/player/?url=" + quote(TRACK, safe="")
    # The next grouping run, as the crontab says (daily at 02:30 UTC).
    next_run = dt.datetime.fromisoformat(request["next_grouping_at"].removesuffix("Z"))
    assert (next_run.hour, next_run.minute) == daily_times()["assign_groups"] == (2, 30)
    assert dt.timedelta(0) < next_run - utcnow() <= dt.timedelta(days=1)


def test_trackless_request_and_default_genre(anon: TestClient, settings: Settings) -> None:
    response = anon.post(URL, json={"media_url": None}, headers=bearer(settings, make_user()))
    assert response.status_code == 201
    request = response.json()["request"]
    assert request["media_url"] is None and request["media_type"] is None and request["genre"] == "no_genre"


@pytest.mark.parametrize(
    "url",
    [
        "http://soundcloud.com/a/b",
        "https://soundcloud.com.evil.example/a/b",
        "https://evil.example/?https://soundcloud.com/a/b",
        "javascript:alert(1)",
        "https://soundcloud.com/only-artist",
    ],
)
def test_create_request_refuses_links_we_cannot_use(anon: TestClient, settings: Settings, url: str) -> None:
    response = create(anon, bearer(settings, make_user()), media_url=url)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_media_url"
    assert "soundcloud.com/<artist>/<track>" in error["message"] and "media_url" in error["fields"]


def test_one_pending_request_per_user(anon: TestClient, settings: Settings) -> None:
    headers = bearer(settings, make_user())
    assert create(anon, headers).status_code == 201
    second = create(anon, headers, media_url="https://soundcloud.com/other/track")
    assert second.status_code == 409 and second.json()["error"]["code"] == "pending_request_exists"


def test_no_two_pending_requests_for_one_track(anon: TestClient, settings: Settings) -> None:
    assert create(anon, bearer(settings, make_user())).status_code == 201
    second = create(anon, bearer(settings, make_user()))
    assert second.status_code == 409 and second.json()["error"]["code"] == "duplicate_track"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"genre": "polka"}, "genre"),
        ({"feedback_prompt": "x" * 2001}, "feedback_prompt"),
        ({"email_when_grouped": "yes"}, "email_when_grouped"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_create_request_validates_fields(anon: TestClient, settings: Settings, body: dict, field: str) -> None:
    response = create(anon, bearer(settings, make_user()), **body)
    assert response.status_code == 422
    assert field in response.json()["error"]["fields"]


def test_bad_bodies_get_clear_errors(anon: TestClient, settings: Settings) -> None:
    headers = bearer(settings, make_user())
    malformed = anon.post(URL, content=b"{not json", headers={**headers, "Content-Type": "application/json"})
    assert malformed.status_code == 400 and malformed.json()["error"]["code"] == "malformed_json"
    wrong_type = anon.post(
        URL, content=b"media_url=x", headers={**headers, "Content-Type": "application/x-www-form-urlencoded"}
    )
    assert wrong_type.status_code == 415
    huge = anon.post(
        URL,
        content=json.dumps({"feedback_prompt": "x" * 1_100_000}),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "payload_too_large"
    not_object = anon.post(URL, json=[1, 2], headers=headers)
    assert not_object.status_code == 422
    with database.connection_context():
        assert FeedbackRequest.select().count() == 0


def test_list_requests_pages_newest_first_and_filters(anon: TestClient, settings: Settings) -> None:
    user = make_user()
    group = make_group(n=3)
    with database.connection_context():
        FeedbackRequest.update(user=user).where(FeedbackRequest.id == group.requests[group.users[0].id].id).execute()
    make_request(user)
    make_request(make_user())  # someone else's
    headers = bearer(settings, user)
    everything = anon.get(URL, headers=headers).json()
    assert everything["total"] == 2 and everything["page"] == 1 and everything["per_page"] == 20
    assert [item["group_id"] is None for item in everything["items"]] == [True, False]
    assert anon.get(URL, params={"status": "assigned"}, headers=headers).json()["total"] == 1
    unassigned = anon.get(URL, params={"status": "unassigned", "per_page": 1}, headers=headers).json()
    assert unassigned["total"] == 1 and len(unassigned["items"]) == 1
    second = anon.get(URL, params={"page": 2, "per_page": 1}, headers=headers).json()
    assert second["items"][0]["group_id"] is not None and second["items"][0]["next_grouping_at"] is None
    assert everything["has_next"] is False and unassigned["has_next"] is False
    assert anon.get(URL, params={"page": 1, "per_page": 1}, headers=headers).json()["has_next"] is True


@pytest.mark.parametrize(
    "params", [{"per_page": 101}, {"page": 0}, {"status": "done"}, {"page": "x"}, {"colour": "red"}]
)
def test_list_requests_validates_the_query(anon: TestClient, settings: Settings, params: dict) -> None:
    response = anon.get(URL, params=params, headers=bearer(settings, make_user()))
    assert response.status_code == 422


def test_get_request_owner_only(anon: TestClient, settings: Settings) -> None:
    owner, stranger = make_user(), make_user()
    request = make_request(owner)
    assert anon.get(f"{URL}/{request.id}").status_code == 401
    assert anon.get(f"{URL}/{request.id}", headers=bearer(settings, stranger)).status_code == 404
    response = anon.get(f"{URL}/{request.id}", headers=bearer(settings, owner))
    assert response.status_code == 200 and response.json()["request"]["id"] == request.id
    assert anon.get(f"{URL}/999999", headers=bearer(settings, owner)).status_code == 404


def test_edit_request_while_unassigned(anon: TestClient, settings: Settings) -> None:
    owner, stranger = make_user(), make_user()
    request = make_request(owner)
    body = {"genre": "jazz", "media_url": "https://www.dropbox.com/s/abc123/demo.wav"}
    assert anon.patch(f"{URL}/{request.id}", json=body).status_code == 401
    assert anon.patch(f"{URL}/{request.id}", json=body, headers=bearer(settings, stranger)).status_code == 404
    response = anon.patch(f"{URL}/{request.id}", json=body, headers=bearer(settings, owner))
    assert response.status_code == 200
    changed = response.json()["request"]
    assert changed["genre"] == "jazz" and changed["media_type"] == "dropbox" and changed["feedback_prompt"] == ""
    bad = anon.patch(
        f"{URL}/{request.id}", json={"media_url": "https://example.com/x"}, headers=bearer(settings, owner)
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_media_url"
    taken = make_request(stranger)
    clash = anon.patch(f"{URL}/{request.id}", json={"media_url": taken.media_url}, headers=bearer(settings, owner))
    assert clash.status_code == 409 and clash.json()["error"]["code"] == "duplicate_track"
    unchanged = anon.patch(f"{URL}/{request.id}", json={"genre": "pop"}, headers=bearer(settings, owner))
    assert unchanged.status_code == 200 and unchanged.json()["request"]["media_type"] == "dropbox"
    nulled = anon.patch(f"{URL}/{request.id}", json={"genre": None}, headers=bearer(settings, owner))
    assert nulled.status_code == 422 and "genre" in nulled.json()["error"]["fields"]
    trackless = anon.patch(f"{URL}/{request.id}", json={"media_url": None}, headers=bearer(settings, owner))
    assert trackless.status_code == 200 and trackless.json()["request"]["media_url"] is None


def test_grouped_requests_can_no_longer_change(anon: TestClient, settings: Settings) -> None:
    group = make_group(n=3)
    owner = group.users[0]
    request_id = group.requests[owner.id].id
    patch = anon.patch(f"{URL}/{request_id}", json={"genre": "jazz"}, headers=bearer(settings, owner))
    assert patch.status_code == 409 and patch.json()["error"]["code"] == "already_grouped"
    delete = anon.delete(f"{URL}/{request_id}", headers=bearer(settings, owner))
    assert delete.status_code == 409 and delete.json()["error"]["code"] == "already_grouped"


def test_delete_request_owner_only(anon: TestClient, settings: Settings) -> None:
    owner, stranger = make_user(), make_user()
    request = make_request(owner)
    assert anon.delete(f"{URL}/{request.id}").status_code == 401
    assert anon.delete(f"{URL}/{request.id}", headers=bearer(settings, stranger)).status_code == 404
    assert anon.delete(f"{URL}/{request.id}", headers=bearer(settings, owner)).status_code == 204
    assert anon.get(f"{URL}/{request.id}", headers=bearer(settings, owner)).status_code == 404


OEMBED = {
    "title": "Some Track",
    "author_name": "Some Artist",
    "thumbnail_url": "https://i1.sndcdn.example/artworks.jpg",
    "html": '<iframe src="https://w.soundcloud.com/player/?url=x"></iframe>',
}


class FakeSoundCloud:
    """Plays SoundCloud's oEmbed endpoint locally; `answers` are used in turn."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.calls: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


@pytest.fixture
def fake_soundcloud() -> FakeSoundCloud:
    return FakeSoundCloud(httpx.Response(200, json=OEMBED))


@pytest.fixture
def http_transport(fake_soundcloud: FakeSoundCloud) -> httpx.MockTransport:
    return httpx.MockTransport(fake_soundcloud)


def test_track_metadata_arrives_after_create(
    anon: TestClient, settings: Settings, fake_soundcloud: FakeSoundCloud
) -> None:
    headers = bearer(settings, make_user())
    created = create(anon, headers).json()["request"]
    assert created["track"] is None  # the create call does not wait for it
    fetched = anon.get(f"{URL}/{created['id']}", headers=headers).json()["request"]
    assert fetched["track"] == {
        "title": "Some Track",
        "author_name": "Some Artist",
        "thumbnail_url": OEMBED["thumbnail_url"],
        "embed_html": OEMBED["html"],
    }
    assert fetched["track_status"] == "ok"
    call = fake_soundcloud.calls[0]
    assert call.url.host == "soundcloud.com" and call.url.path == "/oembed"
    assert call.url.params["url"] == TRACK


def test_track_metadata_failures_are_retried_later(
    anon: TestClient, settings: Settings, fake_soundcloud: FakeSoundCloud
) -> None:
    fake_soundcloud.answers = [
        httpx.Response(302, headers={"Location": "https://elsewhere.example/"}),
        httpx.Response(200, content=b"x" * 300_000),
        httpx.Response(200, json=OEMBED),
    ]
    headers = bearer(settings, make_user())
    created = create(anon, headers).json()["request"]
    assert anon.get(f"{URL}/{created['id']}", headers=headers).json()["request"]["track"] is None
    assert len(fake_soundcloud.calls) == 1  # the redirect was not followed; the next try waits
    for _ in range(2):
        with database.connection_context():
            FeedbackRequest.update(track_next_fetch_at=utcnow() - dt.timedelta(seconds=1)).execute()
        anon.get(f"{URL}/{created['id']}", headers=headers)
    assert len(fake_soundcloud.calls) == 3
    assert anon.get(f"{URL}/{created['id']}", headers=headers).json()["request"]["track"]["title"] == "Some Track"


def test_track_status_is_failed_once_fetching_gives_up(anon: TestClient, settings: Settings) -> None:
    user = make_user()
    request = make_request(user, track_fetch_attempts=8)
    assert anon.get(f"{URL}/{request.id}", headers=bearer(settings, user)).json()["request"]["track_status"] == "failed"
    trackless = make_request(make_user(), tracked=False)
    found = anon.get(f"{URL}/{trackless.id}", headers=bearer(settings, trackless.user)).json()["request"]
    assert found["track_status"] is None and found["embed_url"] is None
