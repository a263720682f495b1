// Tracks that need you: today's recommendations from the pool of tracks that got fewer reviews than
// their group promised, each with its player, the artist's question and an editor for extra feedback.
import { useEffect, useState } from "preact/hooks";
import { api, unwrap, type ApiError, type Schemas } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { shortDate } from "../lib/time";
import { FeedbackEditor } from "../components/FeedbackEditor";
import { Player, type PlayerControl } from "../components/Player";
import { Alert, Loading, Page } from "../components/ui";

type Day = Schemas["RecommendationDay"];

/** A recommended track: its player (whose position the editor's "Note at" reads) and the editor. */
function Recommended(props: { item: Day["items"][number]; index: number; onSent: () => void }) {
  const { item } = props;
  const [control, setControl] = useState<PlayerControl | null>(null);
  const [position, setPosition] = useState<number | null>(null);
  const label = item.request.track?.title ?? `Track ${props.index + 1}`;
  return (
    <article class="card stack" aria-labelledby={`need-${item.request.id}`}>
      <h2 id={`need-${item.request.id}`}>{label}</h2>
      <Player request={item.request} label={label} onControl={setControl} onPosition={setPosition} />
      {item.request.feedback_prompt && (
        <p class="prompt">
          <strong>The artist asks:</strong> {item.request.feedback_prompt}
        </p>
      )}
      {item.my_feedback !== null ? (
        <p class="sent">
          <strong>You wrote:</strong> {item.my_feedback}
        </p>
      ) : item.missing > 0 ? (
        <>
          <p class="muted">{item.missing === 1 ? "1 review missing" : `${item.missing} reviews missing`}</p>
          <FeedbackEditor
            draft={`extra-${item.request.id}`}
            request={item.request}
            player={control}
            position={position}
            send={(body) =>
              unwrap(
                api.POST("/api/v1/feedback-requests/{request_id}/extra-feedback", {
                  params: { path: { request_id: item.request.id } },
                  body,
                }),
              ).then(() => {})
            }
            onSent={props.onSent}
          />
        </>
      ) : (
        <p class="muted">Others got there first: this track has all its feedback now.</p>
      )}
    </article>
  );
}

export function NeedYou() {
  const [day, setDay] = useState<Day | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const load = async () => {
    try {
      setDay(await unwrap(api.GET("/api/v1/me/recommendations")));
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  useEffect(() => void load(), []);
  const title = "Tracks that need you";
  if (error) return <Page title={title}><Alert>{describe(error)}</Alert></Page>;
  if (!day) return <Page title={title}><Loading what="today's tracks" /></Page>;
  return (
    <Page title={title}>
      <p class="muted">
        These tracks got fewer reviews than their group promised. Extra feedback reaches the artist at once,
        counts toward your rating and can clear a strike. New picks every night.
      </p>
      {day.items.length === 0 && <p class="empty">Nothing for you today ({shortDate(day.date)}). Come back tomorrow.</p>}
      {day.items.map((item, index) => (
        <Recommended key={item.request.id} item={item} index={index} onSent={load} />
      ))}
    </Page>
  );
}
