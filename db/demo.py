"""Demo data for the development database: a handful of users, groups at different stages,
feedback, ratings and replies, and a login to try them with. Running it twice changes nothing."""

from __future__ import annotations

from db import stats
from db.connection import database
from db.feedback_form import times_in_text
from db.group_planning import plan_groups
from db.grouping import apply_plan, group_unassigned, read_candidates
from db.models import FeedbackMark, FeedbackRequest, FeedbackResponse, Reply, Report, User, utcnow
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
# Each demo track (by its owner's name and genre): its title and the owner's question.
TRACKS = {
    "demo-electronic": ("Night Drive", "How is the mix? Does the drop land?"),
    "nova-electronic": ("Glass Harbour", "Is the intro too long before the beat comes in?"),
    "kite-electronic": ("Paper Kites", "Do the vocal chops work, or are they distracting?"),
    "moss-electronic": ("Moss & Static", "Does the bassline carry the second half?"),
    "demo-hip_hop": ("Late Bus Home", "Is my flow on the second verse too rushed?"),
    "reed-hip_hop": ("Concrete Bloom", "Do the drums hit hard enough?"),
    "vale-hip_hop": ("Low Light", "Is the sample too recognisable?"),
}
# What each reviewer wrote on each track: every text answers that track's question, none repeats.
# The demo user's conversation is about the first review of Night Drive (the pad); "ok" is the
# low-effort one they reported.
REVIEWS = {
    "demo-electronic": {
        "nova": "The pad in the intro is gorgeous, especially its filter sweep at 0:20. The drop lands, but the kick and "
        "bass fight around 60 Hz at 1:05-1:20: sidechain the bass or carve a little out of it.",
        "kite": "Clean mix overall. The drop at 1:10 would hit harder if the build cut the hats for its last bar; right "
        "now it runs straight into it.",
        "moss": "ok",
    },
    "nova-electronic": {
        "demo": "The intro is about 16 bars too long: the arp is lovely, but nothing changes until 0:45. Bring the "
        "kick in at the first chord change.",
        "kite": "I liked the slow start; automate the reverb on the arp so it opens up toward the beat.",
        "moss": "Try opening with the vocal fragment from the breakdown: it would hook me straight away.",
    },
    "kite-electronic": {
        "demo": "The chops work in the chorus but crowd the verse; thin them out there and pan a couple wide.",
        "nova": "The chops are the best part! The hats are harsh on headphones, though: a gentle de-ess around 8 kHz.",
        "moss": "The chops and the lead share a range; drop the lead an octave in the verse so both are heard.",
    },
    "moss-electronic": {
        "demo": "The bassline carries it until the second breakdown, where it is gone too long: cut that breakdown "
        "in half.",
        "nova": "Great low end. The second half needs one new element, a counter-melody maybe, to keep it moving.",
        "kite": "The bass is solid but static; some filter movement in the second half would keep it alive.",
    },
    "demo-hip_hop": {
        "reed": "The second verse's flow is fine; the beat under it feels rushed. Let the snare breathe with a little "
        "more swing.",
        "vale": "A couple of lines in verse two are crammed: drop a word or two so the punchlines land on the beat.",
    },
    "reed-hip_hop": {
        "vale": "The kick is punchy but the snare is thin; layer a clap under it around 200 Hz.",
    },
    "vale-hip_hop": {
        "reed": "Recognisable, yes, but chopped like this it feels new. Pitch it down a semitone to be safe.",
    },
}
THE_PAD = ("Thanks! Which part of the pad did you like?", "Its filter sweep in the intro: it builds so well.")

DEMO_DEADLINE_HOURS = 72


def _login(web_url: str) -> str:
    return (
        f"demo login: {DEMO_EMAIL} / {DEMO_PASSWORD}, admin: {DEMO_ADMIN_EMAIL} / {DEMO_PASSWORD}  "
        f"(the client: {web_url}/ ; the API docs: {web_url}/docs)"
    )


def _track(slug: str) -> str:
    return f"https://soundcloud.com/howsmytrack-demo/{slug}"


def _name(user: User) -> str:
    return str(user.email).split("@")[0]


def _write_reviews(group_id: int) -> None:
    """Submit the scripted reviews of a demo group (those the script has; the rest stay owed)."""
    for response in FeedbackResponse.select().where(FeedbackResponse.group == group_id):
        track = response.request
        text = REVIEWS.get(f"{_name(track.user)}-{track.genre}", {}).get(_name(response.user))
        if text:
            FeedbackResponse.update(feedback=text, submitted_at=utcnow(), allow_replies=True).where(
                FeedbackResponse.id == response.id
            ).execute()
            # The moments the text names, as the service would pin them (db/feedback_form.py).
            for mark in times_in_text(text):
                FeedbackMark.create(response=response.id, at_s=mark.at_s, to_s=mark.to_s, text=mark.text)


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
                    slug = f"{_name(user)}-{genre}"
                    title, question = TRACKS[slug]
                    FeedbackRequest.create(
                        user=user,
                        media_url=_track(slug),
                        media_type="soundcloud",
                        genre=genre,
                        feedback_prompt=question,
                        email_when_grouped=True,
                        track_title=title,
                        track_author_name=_name(user).capitalize(),
                        track_fetched_at=confirmed,
                    )
                group_unassigned(utcnow(), DEMO_DEADLINE_HOURS)
                mine = FeedbackRequest.select(FeedbackRequest.group).where(
                    (FeedbackRequest.user == demo.id) & (FeedbackRequest.genre == genre)
                )
                return int(mine.scalar())

            # A finished electronic group: everyone wrote; the demo user rated, replied and reported.
            electronic = group_round([(demo, "electronic"), *[(peer, "electronic") for peer in peers[:3]]])
            _write_reviews(electronic)
            received = {
                str(response.feedback): response
                for response in FeedbackResponse.select()
                .join(FeedbackRequest, on=(FeedbackResponse.request == FeedbackRequest.id))
                .where((FeedbackRequest.user == demo.id) & (FeedbackResponse.group == electronic))
            }
            about_the_pad = received[REVIEWS["demo-electronic"]["nova"]]
            FeedbackResponse.update(rating=5, rated_at=utcnow()).where(
                FeedbackResponse.id == about_the_pad.id
            ).execute()
            Reply.create(response=about_the_pad.id, author=demo.id, text=THE_PAD[0])
            Reply.create(response=about_the_pad.id, author=about_the_pad.user, text=THE_PAD[1])
            # The demo user reported the one-word review; it waits in the moderation queue.
            User.create(email=DEMO_ADMIN_EMAIL, password_hash=password_hash, is_admin=True, email_verified_at=confirmed)
            low_effort = received["ok"]
            FeedbackResponse.update(rating=1, rated_at=utcnow()).where(FeedbackResponse.id == low_effort.id).execute()
            Report.create(
                reporter=demo.id,
                response=low_effort.id,
                writer=low_effort.user,
                reason="low_effort",
                text="Just one word for a whole track.",
            )
            # A fresh hip hop group where the demo user still owes feedback, so theirs stays locked;
            # the others have written theirs: the demo user sees the count, and the text once they write too.
            _write_reviews(group_round([(demo, "hip_hop"), *[(peer, "hip_hop") for peer in peers[3:]]]))
            # And a request waiting for tonight's grouping.
            FeedbackRequest.create(
                user=demo,
                media_url=_track("demo-new-idea"),
                media_type="soundcloud",
                genre="pop",
                feedback_prompt="Is the chorus catchy enough, and does it come in early enough?",
                aspects="arrangement,vocals_lyrics",
                track_length_s=198,
                track_title="Summer Fever (idea)",
                track_author_name="Demo",
                track_fetched_at=confirmed,
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
