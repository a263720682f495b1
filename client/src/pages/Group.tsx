// One group: the tracks to review (player, prompt, feedback editor), and the feedback on the
// caller's own track, locked until they have written theirs; rating and replies once unlocked.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, unwrap, type Group as GroupData, type Response } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { useNotifications } from "../lib/live";
import { useSession } from "../lib/session";
import { Player, type PlayerControl } from "../components/Player";
import { ReportButton } from "../components/ReportButton";
import { Thread } from "../components/Thread";
import { Countdown } from "../components/Countdown";
import { FeedbackEditor } from "../components/FeedbackEditor";
import { FeedbackText } from "../components/GuidedView";
import { Standing } from "../components/Standing";
import { Timeline } from "../components/Timeline";
import { span } from "../lib/moments";
import { RATING_MEANINGS } from "../lib/ratings";
import { relativeTime } from "../lib/time";
import { Alert, Loading, Page } from "../components/ui";

function Deadline(props: { due: string; owed: number }) {
  const past = new Date(props.due).getTime() <= Date.now();
  if (past) return <p class="deadline">The deadline for this group has passed.</p>;
  return (
    <p class="deadline">
      <strong>
        <Countdown label="Feedback due" to={props.due} />
      </strong>
      {props.owed > 0 && " · members who miss it get a strike"}
    </p>
  );
}

function Rating(props: { response: Response; onRated: () => void }) {
  const [value, setValue] = useState<number | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const name = `rating-${props.response.id}`;
  const rate = async (event: Event) => {
    event.preventDefault();
    if (value === null || !confirm(`Rate this feedback ${value} out of 5? You can rate it only once.`)) return;
    try {
      await unwrap(api.PUT("/api/v1/responses/{response_id}/rating", { params: { path: { response_id: props.response.id } }, body: { rating: value } }));
      props.onRated();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  return (
    <form class="rating" onSubmit={rate}>
      {error && <Alert>{describe(error)}</Alert>}
      <fieldset>
        <legend>How useful was this feedback?</legend>
        <div class="stars">
          {([1, 2, 3, 4, 5] as const).map((score) => (
            <label key={score} class="star" title={RATING_MEANINGS[score].meaning}>
              <input type="radio" name={name} value={score} checked={value === score} onChange={() => setValue(score)} aria-describedby={`${name}-meaning`} />
              <span>{score}</span>
              <span class="star-label">{RATING_MEANINGS[score].label}</span>
            </label>
          ))}
        </div>
        <p class="hint" id={`${name}-meaning`} aria-live="polite">
          {value === null ? "Pick the score that fits; each says what it means." : `${value}: ${RATING_MEANINGS[value as 1].meaning}`}
        </p>
      </fieldset>
      <button disabled={value === null}>Rate</button>
    </form>
  );
}

/** The caller's own track beside the feedback on it: the player, every reviewer's notes on one
 * timeline under it (a click seeks the player), their question, their standing. */
function MyTrack(props: { group: GroupData }) {
  const { user } = useSession();
  const mine = props.group.my_request;
  const [control, setControl] = useState<PlayerControl | null>(null);
  const marks = (props.group.received ?? []).flatMap((item) => item.marks);
  return (
    <div class="card stack my-track">
      <h3>Your track</h3>
      <Player request={mine} label={mine.track?.title ?? "your track"} onControl={setControl} />
      <Timeline marks={marks} length={mine.track_length_s} onSeek={control?.canTell ? (seconds) => control.seek(seconds) : null} />
      {mine.feedback_prompt && (
        <p class="prompt">
          <strong>You asked:</strong> {mine.feedback_prompt}
        </p>
      )}
      <Standing user={user} />
    </div>
  );
}

/** A track to review: its player (whose position the editor's "Note at" button reads) and the editor. */
function Review(props: { item: Response; index: number; onChange: () => void }) {
  const { item, index } = props;
  const [control, setControl] = useState<PlayerControl | null>(null);
  const [position, setPosition] = useState<number | null>(null);
  const title = item.request.track?.title ?? `Track ${index + 1}`;
  return (
    <article class="card stack" aria-labelledby={`track-${item.id}`}>
      <h3 id={`track-${item.id}`}>{title}</h3>
      <Player request={item.request} label={item.request.track?.title ?? `track ${index + 1}`} showTitle={false} onControl={setControl} onPosition={setPosition} />
      {item.request.feedback_prompt && (
        <p class="prompt">
          <strong>The artist asks:</strong> {item.request.feedback_prompt}
        </p>
      )}
      {item.submitted ? (
        <>
          <div class="sent">
            <strong>You wrote:</strong>
            <FeedbackText response={item} />
            {item.marks.length > 0 && (
              <ul class="my-marks">
                {item.marks.map((mark, at) => (
                  <li key={at}>
                    <span class="time-link">{span(mark)}</span> {mark.text}
                  </li>
                ))}
              </ul>
            )}
          </div>
          {(item.replies > 0 || item.allow_further_replies) && <Thread responseId={item.id} unread={item.unread_replies} onChange={props.onChange} />}
        </>
      ) : (
        <FeedbackEditor
          draft={item.id}
          request={item.request}
          player={control}
          position={position}
          send={(body) => unwrap(api.PUT("/api/v1/responses/{response_id}", { params: { path: { response_id: item.id } }, body })).then(() => {})}
          onSent={props.onChange}
        />
      )}
    </article>
  );
}

export function Group(props: { id: number }) {
  const { reload } = useSession();
  const [group, setGroup] = useState<GroupData | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = async () => {
    try {
      const answer = await unwrap(api.GET("/api/v1/groups/{group_id}", { params: { path: { group_id: props.id } } }));
      setGroup(answer.group);
      // Visiting the group is reading what the notifications about it said.
      await unwrap(api.POST("/api/v1/notifications/read", { body: { group_id: props.id } })).catch(() => null);
      await reload();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  useEffect(() => void load(), [props.id]);
  useNotifications((notification) => {
    if (notification.group_id === props.id) void load();
  });

  if (error) {
    return (
      <Page title="Group">
        <Alert>{error.status === 404 ? "This group does not exist, or you are not in it." : describe(error)}</Alert>
      </Page>
    );
  }
  if (!group) return <Page title="Group"><Loading what="the group" /></Page>;
  const owed = group.to_review.filter((item) => !item.submitted).length;
  const tracks = group.members + (group.my_request.media_url ? 1 : 0);
  return (
    <Page title={group.name}>
      <p class="muted">
        {group.size} members · {tracks} {tracks === 1 ? "track" : "tracks"}
        {group.trackless_members + (group.my_request.media_url ? 0 : 1) > 0
          ? ` · ${group.trackless_members + (group.my_request.media_url ? 0 : 1)} giving feedback only`
          : ""}
      </p>
      {group.due_at && <Deadline due={group.due_at} owed={owed} />}
      <section aria-labelledby="review-heading">
        <h2 id="review-heading">Tracks to review {owed ? `(${owed} left)` : "(all done)"}</h2>
        {group.to_review.length === 0 && <p class="empty">No other tracks in this group.</p>}
        {group.to_review.map((item, index) => (
          <Review key={item.id} item={item} index={index} onChange={load} />
        ))}
      </section>
      {group.my_request.media_url && (
        <section aria-labelledby="received-heading">
          <h2 id="received-heading">Feedback on your track</h2>
          <MyTrack group={group} />
          {group.received === null ? (
            <p class="locked card">
              {group.received_count === 0
                ? `Nobody has written about your track yet. Write your ${owed} to read theirs as it arrives.`
                : `${group.received_count} ${group.received_count === 1 ? "piece" : "pieces"} of feedback waiting for you. ` +
                  `Write ${owed} more to unlock ${group.received_count === 1 ? "it" : "them"}.`}
            </p>
          ) : group.received.length === 0 ? (
            <p class="empty">No feedback yet: it appears here as the others write it.</p>
          ) : (
            group.received.map((item, index) => (
              <article key={item.id} class="card stack" aria-label={`Feedback ${index + 1}`}>
                {item.submitted_at && (
                  <p class="muted arrived">
                    Arrived <time dateTime={item.submitted_at}>{relativeTime(new Date(item.submitted_at), new Date())}</time>
                  </p>
                )}
                {item.removed_by_moderator ? <p class="removed">Removed by a moderator.</p> : <FeedbackText response={item} />}
                {item.rating ? (
                  <p class="muted">
                    You rated it {item.rating} out of 5 ({RATING_MEANINGS[item.rating as 1].label}).
                  </p>
                ) : (
                  <Rating response={item} onRated={load} />
                )}
                {item.rating !== null && (item.replies > 0 || item.allow_further_replies) && <Thread responseId={item.id} unread={item.unread_replies} onChange={load} />}
                {!item.removed_by_moderator && <ReportButton item={{ response_id: item.id }} what="this feedback" />}
              </article>
            ))
          )}
        </section>
      )}
    </Page>
  );
}
