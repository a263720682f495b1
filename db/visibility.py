"""The exchange's one visibility rule: who owes what, who may read, rate and reply, what is unread.

- A member owes one response for each other member of their group who has a track; a response is
  owed until it is submitted.
- Feedback on a member's track is theirs to read once it is submitted and they owe nothing more
  in that group (their feedback is "unlocked"); only then may they rate it.
- A reply thread is open to the response's writer, and to the track's owner once they rated it.
- A reply is unread by a user when someone else wrote it on a thread open to that user and it has
  not been marked read.

Each rule is an SQL fragment over the caller's table aliases (`user` and `group` are SQL
expressions: a column or a `:parameter`), so `/me`, groups, responses, replies and the reminder
job all ask the same question the same way.
"""

from __future__ import annotations


def submitted(response: str) -> str:
    return f"{response}.submitted_at IS NOT NULL"


def owes_in_group(user: str, group: str) -> str:
    """True while `user` has feedback left to write in `group`."""
    return (
        "EXISTS (SELECT 1 FROM feedback_response owed "
        f"WHERE owed.user_id = {user} AND owed.group_id = {group} AND owed.submitted_at IS NULL)"
    )


def unlocked(owner: str, group: str) -> str:
    """True once `owner` may read (and rate) the submitted feedback on their track in `group`."""
    return f"NOT {owes_in_group(owner, group)}"


def readable_by_owner(owner: str, response: str) -> str:
    """True when the track's owner, `owner`, may read `response` (an alias of feedback_response on
    their track): it is submitted and they owe nothing more in its group. Every view of received
    feedback (group pages, the own-data export) asks this."""
    return f"({submitted(response)} AND {unlocked(owner, f'{response}.group_id')})"


def readable_by(user: str, response: str, owner: str) -> str:
    """True when `user` may read `response` (an alias of feedback_response whose track's owner is the
    column `owner`): they wrote it, or they own the track and may read it (`readable_by_owner`)."""
    return f"({response}.user_id = {user} OR ({owner} = {user} AND {readable_by_owner(owner, response)}))"


def owed_count(user: str) -> str:
    """How many responses `user` still owes, over all their groups."""
    return f"(SELECT COUNT(*) FROM feedback_response owed WHERE owed.user_id = {user} AND owed.submitted_at IS NULL)"


def thread_open_to(user: str, response: str, owner: str | None = None) -> str:
    """True when `user` may read and write the reply thread on `response` (an alias of
    feedback_response). `owner`: the track owner's column when the query already joins the
    request (saves a lookup); otherwise it is looked up."""
    is_owner = (
        f"{owner} = {user}"
        if owner
        else f"EXISTS (SELECT 1 FROM feedback_request thread_owner WHERE thread_owner.id = {response}.request_id "
        f"AND thread_owner.user_id = {user})"
    )
    return f"({response}.user_id = {user} OR ({response}.rating IS NOT NULL AND {is_owner}))"


def unread_by(user: str, reply: str) -> str:
    """True when `reply` (an alias of reply) is someone else's and not yet read (thread access aside)."""
    return f"({reply}.author_id <> {user} AND {reply}.read_at IS NULL)"


def unread_replies(user: str) -> str:
    """How many replies `user` has not read on threads open to them.

    Written as two counts (as writer, as owner after rating) so each uses its own index.
    """
    return (
        "((SELECT COUNT(*) FROM reply unread_w JOIN feedback_response written ON unread_w.response_id = written.id "
        f"WHERE written.user_id = {user} AND {unread_by(user, 'unread_w')}) + "
        "(SELECT COUNT(*) FROM reply unread_o JOIN feedback_response received ON unread_o.response_id = received.id "
        "JOIN feedback_request owned ON received.request_id = owned.id "
        f"WHERE owned.user_id = {user} AND received.rating IS NOT NULL AND {unread_by(user, 'unread_o')}))"
    )


def unread_on(user: str, response: str, owner: str | None = None) -> str:
    """How many replies on `response` are unread by `user` (zero when the thread is not open to them)."""
    return (
        f"(CASE WHEN {thread_open_to(user, response, owner)} THEN (SELECT COUNT(*) FROM reply unread "
        f"WHERE unread.response_id = {response}.id AND {unread_by(user, 'unread')}) ELSE 0 END)"
    )


def replies_open(response: str) -> str:
    """True while the thread on `response` takes new replies: the feedback is submitted, its writer
    allowed replies, and no reply has closed the thread since."""
    return (
        f"({response}.submitted_at IS NOT NULL AND {response}.allow_replies AND NOT EXISTS ("
        f"SELECT 1 FROM reply closing WHERE closing.response_id = {response}.id AND NOT closing.allow_replies))"
    )


def unread_in_group(user: str, group: str) -> str:
    """How many replies `user` has not read on threads open to them in `group`."""
    return (
        "(SELECT COUNT(*) FROM reply unread_g JOIN feedback_response thread ON unread_g.response_id = thread.id "
        "JOIN feedback_request thread_req ON thread.request_id = thread_req.id "
        f"WHERE thread.group_id = {group} AND {unread_by(user, 'unread_g')} "
        f"AND {thread_open_to(user, 'thread', owner='thread_req.user_id')})"
    )
