"""Set-based generation of benchmark data, straight in SQL (seconds even at 100,000 users)."""

from __future__ import annotations

import json
import random
from typing import Any

from tests.builders import feedback_text

GENRES = ["electronic", "hip_hop", "jazz", "urban_rnb", "pop", "rock_metal_punk", "no_genre"]
GENRE_ARRAY = "ARRAY[" + ",".join(f"'{genre}'" for genre in GENRES) + "]"


def seed_users(db: Any, users: int, password_hash: str) -> None:
    db.execute_sql(
        """
        INSERT INTO "user" (email, password_hash, rating, send_reminder_emails, is_admin, token_version, created_at,
                            email_verified_at)
        SELECT 'user' || i || '@bench.example', %s,
               CASE WHEN random() < 0.8 THEN round((1 + random() * 4)::numeric, 2) END,
               random() < 0.9, FALSE, 0, now() - interval '30 days', now() - interval '30 days'
        FROM generate_series(1, %s) AS i
        """,
        (password_hash, users),
    )


def seed_rating_history(db: Any, users: int, per_user: int = 15, unsubmitted: int = 0) -> None:
    """Every user gets an old, grouped request and writes `per_user` rated responses on others' ones
    (and `unsubmitted` more still to write)."""
    groups = (users + 3) // 4
    db.execute_sql(
        """
        INSERT INTO feedback_group (name, genres, created_at)
        SELECT 'History #' || g, 'no_genre', now() - interval '20 days' FROM generate_series(1, %s) AS g
        """,
        (groups,),
    )
    db.execute_sql(
        """
        INSERT INTO feedback_request (user_id, media_url, media_type, genre, feedback_prompt, email_when_grouped,
                                      group_id, created_at, track_fetch_attempts)
        SELECT u.id, 'https://soundcloud.com/history/' || u.id, 'soundcloud', 'no_genre', '', FALSE,
               (SELECT min(id) FROM feedback_group) + (u.id - 1) / 4, now() - interval '21 days', 0
        FROM "user" AS u
        """
    )
    db.execute_sql(
        """
        INSERT INTO feedback_response (request_id, user_id, group_id, feedback, submitted_at, allow_replies,
                                       rating, rated_at)
        SELECT r.id, w.id, r.group_id,
               CASE WHEN k <= %s THEN 'History feedback' ELSE '' END,
               CASE WHEN k <= %s THEN now() - (k || ' hours')::interval END, TRUE,
               CASE WHEN k <= %s THEN 1 + floor(random() * 5)::int END,
               CASE WHEN k <= %s THEN now() - interval '1 day' END
        FROM "user" AS w
        CROSS JOIN generate_series(1, %s) AS k
        JOIN feedback_request AS r
          ON r.user_id = ((w.id - 1 + k) %% %s) + (SELECT min(id) FROM "user")
         AND r.group_id IS NOT NULL
        """,
        (per_user, per_user, per_user, per_user, per_user + unsubmitted, users),
    )


def seed_pending_requests(db: Any, trackless_share: float = 0.1) -> None:
    db.execute_sql(
        f"""
        INSERT INTO feedback_request (user_id, media_url, media_type, genre, feedback_prompt, email_when_grouped,
                                      created_at, track_fetch_attempts)
        SELECT u.id, link.url, CASE WHEN link.url IS NULL THEN NULL ELSE 'soundcloud' END,
               ({GENRE_ARRAY})[1 + floor(random() * {len(GENRES)})::int], 'Thoughts on the mix?',
               random() < 0.5, now() - (floor(random() * 1000) || ' minutes')::interval, 0
        FROM "user" AS u
        CROSS JOIN LATERAL (
            SELECT CASE WHEN random() < %s THEN NULL ELSE 'https://soundcloud.com/pending/' || u.id END AS url
        ) AS link
        """,
        (trackless_share,),
    )
    db.execute_sql("ANALYZE")


def pass_the_deadline(db: Any, written_share: float = 0.6) -> None:
    """The groups just formed: a share of their feedback written, then their deadline passed (so
    enforce_deadlines has strikes to give and a pool to fill, and recommend_tracks tracks to rank)."""
    db.execute_sql(
        "UPDATE feedback_response SET feedback = 'Nice', submitted_at = now() "
        "WHERE submitted_at IS NULL AND random() < %s",
        (written_share,),
    )
    db.execute_sql("UPDATE feedback_group SET due_at = now() - interval '1 hour' WHERE due_at IS NOT NULL")
    db.execute_sql("ANALYZE")


def feedback_body(rng: random.Random, words: int = 45) -> str:
    """A PUT /responses body the effort gate accepts: 45 words, unlike any other this makes."""
    text = feedback_text("Tight groove; the vocal could sit a little higher.", words, rng)
    return json.dumps({"feedback": text, "allow_replies": True})
