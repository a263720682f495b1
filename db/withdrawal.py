"""Taking an account out of the exchange (deleted or banned), inside the caller's transaction.

Every token it holds stops working and its open streams end; its waiting request is withdrawn;
feedback it still owed is dropped, and its tracks leave the review lists of those who had not
reviewed them yet, so nobody waits on it; its tracks leave the needs-feedback pool and everyone's
recommendations. Feedback it already wrote stays.
"""

from __future__ import annotations

from db import notifications
from db.models import FeedbackRequest, FeedbackResponse, NeedsFeedback, Recommendation, User


def leave_exchange(user_id: int) -> None:
    User.update(token_version=User.token_version + 1).where(User.id == user_id).execute()
    notifications.announce_session_change(user_id)
    FeedbackRequest.delete().where((FeedbackRequest.user == user_id) & FeedbackRequest.group.is_null()).execute()
    FeedbackResponse.delete().where(
        (FeedbackResponse.user == user_id) & FeedbackResponse.submitted_at.is_null()
    ).execute()
    their_tracks = FeedbackRequest.select(FeedbackRequest.id).where(FeedbackRequest.user == user_id)
    FeedbackResponse.delete().where(
        FeedbackResponse.request.in_(their_tracks) & FeedbackResponse.submitted_at.is_null()
    ).execute()
    NeedsFeedback.delete().where(NeedsFeedback.owner == user_id).execute()
    Recommendation.delete().where(Recommendation.request.in_(their_tracks)).execute()
