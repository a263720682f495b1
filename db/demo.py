"""Demo data for the development database: a handful of users, groups at different stages,
feedback, ratings and replies, and a login to try them with. Running it twice changes nothing."""

from __future__ import annotations

from db import stats
from db.connection import database
from db.group_planning import plan_groups
from db.grouping import apply_plan, group_unassigned, read_candidates
from db.models import FeedbackRequest, FeedbackResponse, Reply, Report, User, utcnow
from db.passwords import hash_password

DEMO_EMAIL = "demo@howsmytrack.example"
DEMO_PASSWORD = "demo listener 42"
# An operator's account for the admin pages (same password), with one report waiting in the queue.
DEMO_ADMIN_EMAIL = "admin@howsmytrack.example"
PEERS = [
    ("nova@howsmytrack.example", 4.6, "electronic"),
    ("kite@howsmytrack.example", 4.1, "electronic"),
    ("moss@howsmytrack.example", 3.8, "electronic"),
    ("reed@howsmytrack.example", 3.2, "hip_hop"),
    ("vale@howsmytrack.example", 2.9, "hip_hop"),
]
FEEDBACK = [
    "The kick and bass fight around 60 Hz; sidechain the bass or carve a little out of it. Love the pad.",
    "Great hook! The vocal sits a bit low in the second verse and the hats feel harsh on headphones.",
    "The arrangement drags in the middle; try cutting the second breakdown in half.",
]

DEMO_DEADLINE_HOURS = 72


def _login(web_url: str) -> str:
    return (
        f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}, admin: {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}  "
        f"(the client: {web_url}/ ; the API docs: {web_url}/docs)"
    )


def _track(slug: str) -> str:
    return f"https://soundcloud.com/howsmytrack-demo/{slug}"


def load_demo_data(web_url: str = "http://127.0.0.1:8000") -> str:
    with database.connection_context():
        if User.select().where(User.email == DEMO_EMAIL).exists():
            return "demo data already present; " + _login(web_url)
        if FeedbackRequest.unassigned().exists():
            return "the database already has waiting requests; demo data not added"
        password_hash = hash_password(DEMO_PASSWORD)
        with database.atomic():
            # Demo addresses count as confirmed, so the demo shows the group emails too.
            confirmed = utcnow()
            demo = User.create(email=DEMO_EMAIL, password_hash=password_hash, rating=4.0, email_verified_at=confirmed)
            peers = [
                User.create(email=email, password_hash=password_hash, rating=rating, email_verified_at=confirmed)
                for email, rating, _ in PEERS
            ]

            def group_round(members: list[tuple[User, str]]) -> int:
                for user, genre in members:
                    FeedbackRequest.create(
                        user=user,
                        media_url=_track(f"{user.email.split('@')[0]}-{genre}"),
                        media_type="soundcloud",
                        genre=genre,
                        feedback_prompt="How is the mix? Does the drop land?",
                        email_when_grouped=True,
                    )
                group_unassigned(utcnow(), DEMO_DEADLINE_HOURS)
                mine = FeedbackRequest.select(FeedbackRequest.group).where(
                    (FeedbackRequest.user == demo.id) & (FeedbackRequest.genre == genre)
                )
                return int(mine.scalar())

            # A finished electronic group: everyone wrote, the demo user rated and replied.
            electronic = group_round([(demo, "electronic"), *[(peer, "electronic") for peer in peers[:3]]])
            for index, response in enumerate(
                FeedbackResponse.select().where(FeedbackResponse.group == electronic).order_by(FeedbackResponse.id)
            ):
                FeedbackResponse.update(
                    feedback=FEEDBACK[index % len(FEEDBACK)], submitted_at=utcnow(), allow_replies=True
                ).where(FeedbackResponse.id == response.id).execute()
            received = list(
                FeedbackResponse.select()
                .join(FeedbackRequest, on=(FeedbackResponse.request == FeedbackRequest.id))
                .where((FeedbackRequest.user == demo.id) & (FeedbackResponse.group == electronic))
                .order_by(FeedbackResponse.id)
            )
            FeedbackResponse.update(rating=5, rated_at=utcnow()).where(FeedbackResponse.id == received[0].id).execute()
            Reply.create(response=received[0].id, author=demo.id, text="Thanks! Which part of the pad did you like?")
            Reply.create(response=received[0].id, author=received[0].user, text="The filter sweep in the intro.")
            # The demo user reported the last piece they received; it waits in the moderation queue.
            User.create(email=DEMO_ADMIN_EMAIL, password_hash=password_hash, is_admin=True, email_verified_at=confirmed)
            FeedbackResponse.update(feedback="ok", rating=1, rated_at=utcnow()).where(
                FeedbackResponse.id == received[-1].id
            ).execute()
            Report.create(
                reporter=demo.id,
                response=received[-1].id,
                writer=received[-1].user,
                reason="low_effort",
                text="Just one word for a whole track.",
            )
            # A fresh hip hop group where the demo user still owes feedback, so theirs stays locked.
            hip_hop = group_round([(demo, "hip_hop"), *[(peer, "hip_hop") for peer in peers[3:]]])
            # The others have written theirs: the demo user sees the count, and the text once they write too.
            FeedbackResponse.update(feedback=FEEDBACK[0], submitted_at=utcnow(), allow_replies=True).where(
                (FeedbackResponse.group == hip_hop) & (FeedbackResponse.user != demo.id)
            ).execute()
            # And a request waiting for tonight's grouping.
            FeedbackRequest.create(
                user=demo,
                media_url=_track("demo-new-idea"),
                media_type="soundcloud",
                genre="pop",
                feedback_prompt="Is the chorus catchy enough?",
            )
        with database.atomic():
            stats.store_days(utcnow().date())  # the admin charts' last 30 days
    return "demo data added; " + _login(web_url)


def seed_demo_group(web_url: str = "http://127.0.0.1:8000") -> str:
    """A fresh group of four: the demo user (with their waiting request, or a new one) and three
    peers, each with a new track, grouped now; nothing else waiting is touched. For UI work:
    run it again for another group."""
    with database.connection_context(), database.atomic():
        demo = User.get_or_none(User.email == DEMO_EMAIL)
        if demo is None:
            return "no demo data yet: run `python -m db demo` first"
        stamp = utcnow().strftime("%Y%m%d%H%M%S%f")
        mine = FeedbackRequest.unassigned().where(FeedbackRequest.user == demo.id).first()
        if mine is None:
            mine = FeedbackRequest.create(
                user=demo, media_url=_track(f"demo-{stamp}"), media_type="soundcloud", genre="pop"
            )
        waiting = [mine.id]
        for email, _, _ in PEERS:
            peer = User.get(User.email == email)
            if FeedbackRequest.unassigned().where(FeedbackRequest.user == peer.id).exists():
                continue
            request = FeedbackRequest.create(
                user=peer,
                media_url=_track(f"{email.split('@')[0]}-{stamp}"),
                media_type="soundcloud",
                genre=mine.genre,
                feedback_prompt="Does the second half keep the energy up?",
            )
            waiting.append(request.id)
            if len(waiting) == 4:
                break
        groups, _ = plan_groups([c for c in read_candidates(utcnow()) if c.id in waiting])
        apply_plan(groups, utcnow(), DEMO_DEADLINE_HOURS)
        group_id = FeedbackRequest.select(FeedbackRequest.group).where(FeedbackRequest.id == mine.id).scalar()
    return f"demo group {group_id} ready: {web_url}/groups/{group_id}; " + _login(web_url)
