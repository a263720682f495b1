"""feedback_response's three references (request, writer, group) checked once per statement on
PostgreSQL, instead of once per row.

Forming groups inserts about three responses per member in one statement. Each row's foreign keys
each ran their own lookup through PostgreSQL's per-row triggers: at 100,000 members that was about
8 of the grouping job's 12 seconds of COPY. The references are as strict as before, set-based:

- inserting responses locks the rows they reference (FOR KEY SHARE, as a foreign key's check does,
  so a concurrent delete waits for the commit) and fails with SQLSTATE 23503 when any is missing;
- a response's references never change (an UPDATE of them fails with 23503: the app never does it);
- deleting a user, a request or a group deletes their responses (what ON DELETE CASCADE did), and
  with them the replies, marks and answers that hang off the responses by their own foreign keys.

SQLite keeps its foreign keys (its checks are cheap at the embedded default's size).

Frozen once shipped: this file states its own SQL instead of importing today's models.
"""

from typing import Any

STATEMENTS = [
    "ALTER TABLE feedback_response DROP CONSTRAINT feedback_response_request_id_fkey",
    "ALTER TABLE feedback_response DROP CONSTRAINT feedback_response_user_id_fkey",
    "ALTER TABLE feedback_response DROP CONSTRAINT feedback_response_group_id_fkey",
    """CREATE FUNCTION feedback_response_references_exist() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wanted bigint;
    found bigint;
BEGIN
    SELECT count(DISTINCT request_id) INTO wanted FROM inserted;
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM feedback_request r WHERE r.id IN (SELECT request_id FROM inserted) FOR KEY SHARE
    ) locked;
    IF found < wanted THEN
        RAISE EXCEPTION 'feedback_response references a missing feedback_request'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'feedback_response';
    END IF;
    SELECT count(DISTINCT user_id) INTO wanted FROM inserted;
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM "user" u WHERE u.id IN (SELECT user_id FROM inserted) FOR KEY SHARE
    ) locked;
    IF found < wanted THEN
        RAISE EXCEPTION 'feedback_response references a missing user'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'feedback_response';
    END IF;
    SELECT count(DISTINCT group_id) INTO wanted FROM inserted;
    SELECT count(*) INTO found FROM (
        SELECT 1 FROM feedback_group g WHERE g.id IN (SELECT group_id FROM inserted) FOR KEY SHARE
    ) locked;
    IF found < wanted THEN
        RAISE EXCEPTION 'feedback_response references a missing feedback_group'
            USING ERRCODE = 'foreign_key_violation', TABLE = 'feedback_response';
    END IF;
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER feedback_response_references AFTER INSERT ON feedback_response
    REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION feedback_response_references_exist()""",
    """CREATE FUNCTION feedback_response_references_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a feedback_response''s request, writer and group cannot change'
        USING ERRCODE = 'foreign_key_violation', TABLE = 'feedback_response';
END
$$""",
    """CREATE TRIGGER feedback_response_references_fixed BEFORE UPDATE OF request_id, user_id, group_id
    ON feedback_response FOR EACH ROW
    WHEN (OLD.request_id <> NEW.request_id OR OLD.user_id <> NEW.user_id OR OLD.group_id <> NEW.group_id)
    EXECUTE FUNCTION feedback_response_references_fixed()""",
    """CREATE FUNCTION feedback_response_delete_with_request() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM feedback_response WHERE request_id IN (SELECT id FROM deleted);
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER feedback_response_delete_with_request AFTER DELETE ON feedback_request
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION feedback_response_delete_with_request()""",
    """CREATE FUNCTION feedback_response_delete_with_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM feedback_response WHERE user_id IN (SELECT id FROM deleted);
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER feedback_response_delete_with_user AFTER DELETE ON "user"
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION feedback_response_delete_with_user()""",
    """CREATE FUNCTION feedback_response_delete_with_group() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM feedback_response WHERE group_id IN (SELECT id FROM deleted);
    RETURN NULL;
END
$$""",
    """CREATE TRIGGER feedback_response_delete_with_group AFTER DELETE ON feedback_group
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION feedback_response_delete_with_group()""",
]


def up(migrator: Any, db: Any) -> None:
    if db.param != "%s":
        return
    for statement in STATEMENTS:
        db.execute_sql(statement)
