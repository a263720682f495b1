// Home: the caller's waiting track (or the form to submit one) and their groups with badges.
import { useEffect, useState } from "preact/hooks";
import { useNotifications } from "../lib/live";
import { ApiError, api, unwrap, type FeedbackRequest, type GroupSummary, type Schemas } from "../lib/api";
import { MAX_ASPECTS, aspectLabel, useAspects } from "../lib/aspects";
import { useGenres } from "../lib/genres";
import { clock, parseClock } from "../lib/moments";
import { Player, SERVICES } from "../components/Player";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { shortDate } from "../lib/time";
import { useSession } from "../lib/session";
import { Countdown } from "../components/Countdown";
import { Alert, Link, Loading, Page } from "../components/ui";

const EXAMPLE_QUESTION = "e.g. Does the drop hit hard enough? Is the vocal too quiet in the chorus?";

type Preview = { service: string; embed: Track | null } | "refused" | null;
type Track = Pick<FeedbackRequest, "media_url" | "media_type" | "embed_url" | "track">;

/** The service a link points to and its player, looked up as the link is typed (null: nothing typed). */
function useLinkPreview(url: string): Preview {
  const [preview, setPreview] = useState<Preview>(null);
  useEffect(() => {
    const link = url.trim();
    if (!link) return setPreview(null);
    const timer = setTimeout(async () => {
      const info = await unwrap(api.GET("/api/v1/media-info", { params: { query: { url: link } } })).catch(() => null);
      if (!info?.media_type) return setPreview("refused");
      const embed = { media_url: link, media_type: info.media_type, embed_url: info.embed_url, track: null };
      setPreview({ service: SERVICES[info.media_type], embed });
    }, 250);
    return () => clearTimeout(timer);
  }, [url]);
  return preview;
}

interface Draft {
  trackless: boolean;
  url: string;
  genre: Schemas["GenreKey"];
  prompt: string;
  emailMe: boolean;
  aspects: Schemas["AspectKey"][];
  length: string;
}

/** The request's fields, shared by asking and by editing a waiting request. */
function RequestFields(props: { draft: Draft; change: (draft: Partial<Draft>) => void; error: ApiError | null; idPrefix: string; allowTrackless: boolean }) {
  const genres = useGenres();
  const { draft, change, idPrefix: p } = props;
  const preview = useLinkPreview(draft.trackless ? "" : draft.url);
  // The server's refusal is about the link it was sent: once the link changes, the live check speaks.
  const [refusedUrl, setRefusedUrl] = useState<string | null>(null);
  useEffect(() => {
    if (props.error?.fields["media_url"] || props.error?.code === "invalid_media_url") setRefusedUrl(draft.url);
  }, [props.error]);
  const serverRefused = refusedUrl !== null && refusedUrl === draft.url;
  const invalid = serverRefused || preview === "refused";
  const status = invalid
    ? describe({ code: "invalid_media_url", message: "", retryAfter: null })
    : preview
      ? `${preview.service} link: looks good.`
      : "";
  return (
    <>
      {props.allowTrackless && (
        <label class="check">
          <input type="checkbox" checked={draft.trackless} onChange={(e) => change({ trackless: e.currentTarget.checked })} /> No track this time: just give feedback
        </label>
      )}
      {!draft.trackless && (
        <div class="field">
          <label for={`${p}media-url`}>Link to your track</label>
          <p class="hint" id={`${p}media-url-hint`}>
            A SoundCloud, Google Drive, Dropbox or OneDrive share link. <Link href="/about">How to share a private track</Link>
          </p>
          <input
            id={`${p}media-url`}
            type="url"
            required
            inputMode="url"
            placeholder="https://soundcloud.com/you/your-track/s-…"
            value={draft.url}
            aria-invalid={invalid ? "true" : undefined}
            aria-describedby={`${p}media-url-hint ${p}media-url-status`}
            onInput={(e) => change({ url: e.currentTarget.value })}
          />
          <p id={`${p}media-url-status`} class={invalid ? "field-error" : "hint ok"} aria-live="polite">
            {status}
          </p>
          {preview && preview !== "refused" && preview.embed?.embed_url && (
            <div class="preview" aria-label="Preview">
              <Player request={preview.embed} label="your track (preview)" />
            </div>
          )}
        </div>
      )}
      <div class="field">
        <label for={`${p}genre`}>Genre</label>
        <select id={`${p}genre`} value={draft.genre} onChange={(e) => change({ genre: e.currentTarget.value as Schemas["GenreKey"] })}>
          {genres.map((option) => (
            <option key={option.key} value={option.key}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      {!draft.trackless && (
        <div class="field">
          <label for={`${p}prompt`}>What would you like feedback on?</label>
          <textarea id={`${p}prompt`} rows={3} maxLength={2000} placeholder={EXAMPLE_QUESTION} value={draft.prompt} onInput={(e) => change({ prompt: e.currentTarget.value })} />
        </div>
      )}
      {!draft.trackless && <AspectPicker chosen={draft.aspects} change={(aspects) => change({ aspects })} idPrefix={p} />}
      {!draft.trackless && (
        <div class="field">
          <label for={`${p}length`}>Track length (optional)</label>
          <p class="hint" id={`${p}length-hint`}>
            m:ss, e.g. 3:45. Reviewers' notes on moments cannot point past it.
          </p>
          <input
            id={`${p}length`}
            class="time"
            inputMode="numeric"
            placeholder="3:45"
            value={draft.length}
            aria-describedby={`${p}length-hint`}
            aria-invalid={draft.length.trim() && parseClock(draft.length) === null ? "true" : undefined}
            onInput={(e) => change({ length: e.currentTarget.value })}
          />
        </div>
      )}
      <label class="check">
        <input type="checkbox" checked={draft.emailMe} onChange={(e) => change({ emailMe: e.currentTarget.checked })} /> Email me when I'm in a group
      </label>
    </>
  );
}

/** Up to three focus aspects; reviewers answer each in its own field. */
function AspectPicker(props: { chosen: Schemas["AspectKey"][]; change: (aspects: Schemas["AspectKey"][]) => void; idPrefix: string }) {
  const aspects = useAspects();
  const full = props.chosen.length >= MAX_ASPECTS;
  return (
    <fieldset class="aspects">
      <legend>Focus (up to {MAX_ASPECTS}, optional)</legend>
      <p class="hint">Reviewers answer each aspect you pick in its own field.</p>
      <div class="aspect-options">
        {aspects.map((aspect) => {
          const on = props.chosen.includes(aspect.key);
          return (
            <label key={aspect.key} class="check" title={aspect.description}>
              <input
                type="checkbox"
                checked={on}
                disabled={!on && full}
                onChange={() => props.change(on ? props.chosen.filter((key) => key !== aspect.key) : [...props.chosen, aspect.key])}
              />{" "}
              {aspect.label}
            </label>
          );
        })}
      </div>
    </fieldset>
  );
}

function body(draft: Draft): Schemas["FeedbackRequestCreate"] {
  const length = parseClock(draft.length);
  return {
    genre: draft.genre,
    feedback_prompt: draft.trackless ? "" : draft.prompt,
    email_when_grouped: draft.emailMe,
    media_url: draft.trackless ? null : draft.url.trim(),
    aspects: draft.trackless ? [] : draft.aspects,
    track_length_s: draft.trackless || !draft.length.trim() ? null : length ?? -1,
  };
}

function RequestForm(props: { onSaved: () => void }) {
  const [draft, setDraft] = useState<Draft>({ trackless: false, url: "", genre: "no_genre", prompt: "", emailMe: true, aspects: [], length: "" });
  const [error, setError] = useState<ApiError | null>(null);
  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await unwrap(api.POST("/api/v1/feedback-requests", { body: body(draft) }));
      props.onSaved();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="submit-heading">
      <h2 id="submit-heading">Get feedback on a track</h2>
      {error && error.code !== "invalid_media_url" && <Alert>{describe(error)}</Alert>}
      <RequestFields draft={draft} change={(part) => setDraft({ ...draft, ...part })} error={error} idPrefix="" allowTrackless />
      <button class="primary">{draft.trackless ? "Join the next group" : "Submit track"}</button>
    </form>
  );
}

function Waiting(props: { request: FeedbackRequest; onChange: () => void }) {
  const { request } = props;
  const [error, setError] = useState<ApiError | null>(null);
  const [editing, setEditing] = useState(false);
  const genres = useGenres();
  const genreLabel = (key: string) => genres.find((genre) => genre.key === key)?.label ?? key;
  const aspects = useAspects();
  const initial: Draft = {
    trackless: !request.media_url,
    url: request.media_url ?? "",
    genre: request.genre,
    prompt: request.feedback_prompt,
    emailMe: request.email_when_grouped,
    aspects: request.aspects,
    length: request.track_length_s != null ? clock(request.track_length_s) : "",
  };
  const [draft, setDraft] = useState<Draft>(initial);
  const id = request.id;
  const save = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await unwrap(api.PATCH("/api/v1/feedback-requests/{request_id}", { params: { path: { request_id: id } }, body: body(draft) }));
      setEditing(false);
      props.onChange();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const withdraw = async () => {
    if (!confirm("Withdraw this request? It will not be grouped.")) return;
    try {
      await unwrap(api.DELETE("/api/v1/feedback-requests/{request_id}", { params: { path: { request_id: id } } }));
      props.onChange();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  return (
    <section class="card stack" aria-labelledby="waiting-heading">
      <h2 id="waiting-heading">{request.media_url ? "Your track is waiting for a group" : "You're joining the next group"}</h2>
      {request.next_grouping_at && (
        <p class="countdown">
          <Countdown label="Next grouping" to={request.next_grouping_at} />
        </p>
      )}
      {error && error.code !== "invalid_media_url" && <Alert>{describe(error)}</Alert>}
      {editing ? (
        <form class="stack" onSubmit={save} aria-label="Edit your request">
          <RequestFields draft={draft} change={(part) => setDraft({ ...draft, ...part })} error={error} idPrefix="edit-" allowTrackless={false} />
          <div class="actions">
            <button class="primary">Save changes</button>
            <button type="button" class="link" onClick={() => { setDraft(initial); setEditing(false); setError(null); }}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <>
          {request.media_url && <Player request={request} label={request.track?.title ?? "your track"} />}
          {request.feedback_prompt && (
            <p class="prompt">
              <strong>You asked:</strong> {request.feedback_prompt}
            </p>
          )}
          {request.aspects.length > 0 && (
            <p class="prompt">
              <strong>Focus:</strong> {request.aspects.map((key) => aspectLabel(aspects, key)).join(", ")}
            </p>
          )}
          <p class="muted">
            {genreLabel(request.genre)} · {request.email_when_grouped ? "we'll email you when you're grouped" : "no email when grouped"}
          </p>
          <div class="actions">
            <button onClick={() => setEditing(true)}>Edit request</button>
            <button class="danger" onClick={withdraw}>
              Withdraw
            </button>
          </div>
        </>
      )}
    </section>
  );
}

function GroupList(props: { groups: GroupSummary[] }) {
  if (!props.groups.length) {
    return <p class="empty">No groups yet. Once your track is grouped, it shows up here.</p>;
  }
  return (
    <ul class="groups">
      {props.groups.map((group) => (
        <li key={group.id} class="card group-item">
          <Link href={`/groups/${group.id}`} class="group-link">
            {group.name}
          </Link>
          <p class="muted">
            {group.size} members · {shortDate(group.created_at)}
            {group.my_track_title ? ` · ${group.my_track_title}` : ""}
          </p>
          <p class="badges">
            {group.owed > 0 && <span class="badge warn">{group.owed} to write</span>}
            {group.owed > 0 && group.due_at && (
              <span class="muted">
                <Countdown label="Due" to={group.due_at} />
              </span>
            )}
            {group.unlocked && group.received_count > 0 && <span class="badge good">{group.received_count} feedback for you</span>}
            {group.unread_replies > 0 && <span class="badge info">{group.unread_replies} unread {group.unread_replies === 1 ? "reply" : "replies"}</span>}
            {group.owed === 0 && !group.unread_replies && <span class="badge">All done</span>}
          </p>
        </li>
      ))}
    </ul>
  );
}

export function Home() {
  const { reload } = useSession();
  const [waiting, setWaiting] = useState<FeedbackRequest | null | undefined>(undefined);
  const [groups, setGroups] = useState<GroupSummary[] | undefined>(undefined);
  const [error, setError] = useState<ApiError | null>(null);
  const load = async () => {
    try {
      const [requests, page] = await Promise.all([
        unwrap(api.GET("/api/v1/feedback-requests", { params: { query: { status: "unassigned", per_page: 1 } } })),
        unwrap(api.GET("/api/v1/groups", { params: { query: { per_page: 100 } } })),
      ]);
      setWaiting(requests.items[0] ?? null);
      setGroups(page.items);
      await reload();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  useEffect(() => void load(), []);
  useNotifications((notification) => {
    if (notification.kind === "grouped" || notification.kind === "request_withdrawn") void load();
  });
  return (
    <Page title="Your tracks and groups">
      {error && <Alert>{describe(error)}</Alert>}
      {waiting === undefined ? <Loading what="your requests" /> : waiting ? <Waiting request={waiting} onChange={load} /> : <RequestForm onSaved={load} />}
      <h2>Your groups</h2>
      {groups === undefined ? <Loading what="your groups" /> : <GroupList groups={groups} />}
    </Page>
  );
}
