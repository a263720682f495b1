// Home: the caller's waiting track (or the form to submit one) and their groups with badges.
import { useEffect, useState } from "preact/hooks";
import { useNotifications } from "../lib/live";
import { ApiError, api, unwrap, type FeedbackRequest, type GroupSummary, type Schemas } from "../lib/api";
import { useGenres } from "../lib/genres";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { shortDate } from "../lib/time";
import { useSession } from "../lib/session";
import { Countdown } from "../components/Countdown";
import { Alert, Link, Loading, Page } from "../components/ui";

const SERVICES: Record<Schemas["MediaType"], string> = {
  soundcloud: "SoundCloud",
  google_drive: "Google Drive",
  dropbox: "Dropbox",
  onedrive: "OneDrive",
};

function RequestForm(props: { onSaved: () => void }) {
  const genres = useGenres();
  const [trackless, setTrackless] = useState(false);
  const [url, setUrl] = useState("");
  const [service, setService] = useState<string | null>(null);
  const [genre, setGenre] = useState<Schemas["GenreKey"]>("no_genre");
  const [prompt, setPrompt] = useState("");
  const [emailMe, setEmailMe] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    const link = url.trim();
    if (!link) return setService(null);
    const timer = setTimeout(async () => {
      const info = await unwrap(api.GET("/api/v1/media-info", { params: { query: { url: link } } })).catch(() => null);
      setService(info?.media_type ? SERVICES[info.media_type] : "");
    }, 250);
    return () => clearTimeout(timer);
  }, [url]);

  const submit = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      const body: Schemas["FeedbackRequestCreate"] = { genre, feedback_prompt: prompt, email_when_grouped: emailMe };
      if (!trackless) body.media_url = url.trim();
      await unwrap(api.POST("/api/v1/feedback-requests", { body }));
      props.onSaved();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const urlError = error?.fields["media_url"] ? describe({ code: "invalid_media_url", message: "", retryAfter: null }) : undefined;
  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="submit-heading">
      <h2 id="submit-heading">Get feedback on a track</h2>
      {error && error.code !== "invalid_media_url" && <Alert>{describe(error)}</Alert>}
      <label class="check">
        <input type="checkbox" checked={trackless} onChange={(e) => setTrackless(e.currentTarget.checked)} /> No track this time: just give feedback
      </label>
      {!trackless && (
        <div class="field">
          <label for="media-url">Link to your track</label>
          <p class="hint" id="media-url-hint">
            A SoundCloud, Google Drive, Dropbox or OneDrive share link.
          </p>
          <input
            id="media-url"
            type="url"
            required
            inputMode="url"
            value={url}
            aria-invalid={urlError || service === "" ? "true" : undefined}
            aria-describedby="media-url-hint media-url-status"
            onInput={(e) => setUrl(e.currentTarget.value)}
          />
          <p id="media-url-status" class={service === "" || urlError ? "field-error" : "hint ok"} aria-live="polite">
            {urlError ?? (service === "" ? "We can't use this link." : service ? `${service} link: looks good.` : "")}
          </p>
        </div>
      )}
      <div class="field">
        <label for="genre">Genre</label>
        <select id="genre" value={genre} onChange={(e) => setGenre(e.currentTarget.value as Schemas["GenreKey"])}>
          {genres.map((option) => (
            <option key={option.key} value={option.key}>
              {option.label}
            </option>
          ))}
        </select>
      </div>
      {!trackless && (
        <div class="field">
          <label for="prompt">What would you like feedback on?</label>
          <textarea id="prompt" rows={3} maxLength={2000} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
        </div>
      )}
      <label class="check">
        <input type="checkbox" checked={emailMe} onChange={(e) => setEmailMe(e.currentTarget.checked)} /> Email me when I'm in a group
      </label>
      <button class="primary">{trackless ? "Join the next group" : "Submit track"}</button>
    </form>
  );
}

function Waiting(props: { request: FeedbackRequest; onChange: () => void }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [prompt, setPrompt] = useState(props.request.feedback_prompt);
  const id = props.request.id;
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      await unwrap(api.PATCH("/api/v1/feedback-requests/{request_id}", { params: { path: { request_id: id } }, body: { feedback_prompt: prompt } }));
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
      <h2 id="waiting-heading">{props.request.media_url ? "Your track is waiting for a group" : "You're joining the next group"}</h2>
      {props.request.next_grouping_at && (
        <p class="countdown">
          <Countdown label="Next grouping" to={props.request.next_grouping_at} />
        </p>
      )}
      {props.request.media_url && <p class="muted break">{props.request.track?.title ?? props.request.media_url}</p>}
      {error && <Alert>{describe(error)}</Alert>}
      {props.request.media_url && (
        <form class="stack" onSubmit={save}>
          <div class="field">
            <label for="edit-prompt">What you'd like feedback on</label>
            <textarea id="edit-prompt" rows={2} maxLength={2000} value={prompt} onInput={(e) => setPrompt(e.currentTarget.value)} />
          </div>
          <button>Save</button>
        </form>
      )}
      <button class="danger" onClick={withdraw}>
        Withdraw
      </button>
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
