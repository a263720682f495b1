// Writing feedback on a track, guided: an answer for each aspect the artist asked about, the
// strongest moment, the biggest problem and one next step, optional notes, and notes pinned to
// moments of the track ("Note at 1:23" takes the player's position where the player can tell it;
// otherwise the reviewer types the time). Kept as a draft on this device until sent (also when the
// service refuses it), with a word count toward the service's minimum.
import { useState } from "preact/hooks";
import type { ApiError, FeedbackRequest, Schemas } from "../lib/api";
import { aspectLabel, useAspects } from "../lib/aspects";
import { clearDraft, loadDraft, saveDraft } from "../lib/drafts";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { MIN_WORDS, clock, parseClock, wordCount } from "../lib/moments";
import type { PlayerControl } from "./Player";
import { Alert } from "./ui";

export type Submission = Schemas["ResponseSubmit"];

interface MarkDraft {
  at: string;
  to: string;
  text: string;
}

interface Form {
  aspects: Record<string, { text: string; score: string }>;
  strongest: string;
  problem: string;
  next: string;
  notes: string;
  marks: MarkDraft[];
}

const EMPTY: Form = { aspects: {}, strongest: "", problem: "", next: "", notes: "", marks: [] };
const MAX_MARKS = 50;

/** A saved draft: this form as JSON, or (from before the guided form) plain text, kept as notes. */
function restore(saved: string): Form {
  if (!saved) return EMPTY;
  try {
    const parsed = JSON.parse(saved) as Partial<Form>;
    if (parsed && typeof parsed === "object") return { ...EMPTY, ...parsed };
  } catch {
    // plain text
  }
  return { ...EMPTY, notes: saved };
}

function submission(form: Form, asked: readonly string[], allowReplies: boolean): Submission {
  const aspects: Record<string, { text: string; score: number | null }> = {};
  for (const key of asked) {
    const answer = form.aspects[key];
    aspects[key] = { text: answer?.text.trim() ?? "", score: answer?.score ? Number(answer.score) : null };
  }
  return {
    feedback: form.notes.trim(),
    allow_replies: allowReplies,
    guided: {
      aspects,
      strongest_moment: form.strongest.trim(),
      biggest_problem: form.problem.trim(),
      next_step: form.next.trim(),
    },
    marks: form.marks
      .filter((mark) => mark.text.trim())
      .map((mark) => ({ at_s: parseClock(mark.at) ?? -1, to_s: mark.to.trim() ? parseClock(mark.to) ?? -1 : null, text: mark.text.trim() })),
  };
}

function texts(form: Form): string[] {
  return [form.strongest, form.problem, form.next, form.notes, ...Object.values(form.aspects).map((a) => a.text), ...form.marks.map((m) => m.text)];
}

export function FeedbackEditor(props: {
  draft: number | string;
  request: Pick<FeedbackRequest, "aspects" | "track_length_s">;
  player: PlayerControl | null;
  position: number | null;
  send: (submission: Submission) => Promise<void>;
  onSent: () => void;
}) {
  const id = props.draft;
  const aspects = useAspects();
  const asked = props.request.aspects;
  const [form, setForm] = useState<Form>(() => restore(loadDraft(localStorage, id)));
  const [allowReplies, setAllowReplies] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const change = (part: Partial<Form>) => {
    const next = { ...form, ...part };
    setForm(next);
    saveDraft(localStorage, id, JSON.stringify(next));
  };
  const changeMark = (index: number, part: Partial<MarkDraft>) =>
    change({ marks: form.marks.map((mark, at) => (at === index ? { ...mark, ...part } : mark)) });
  const addMark = async () => {
    const seconds = props.player?.canTell ? await props.player.position() : null;
    change({ marks: [...form.marks, { at: seconds === null ? "" : clock(seconds), to: "", text: "" }] });
    setTimeout(() => document.getElementById(`mark-${id}-${form.marks.length}-${seconds === null ? "at" : "text"}`)?.focus());
  };
  const words = wordCount(texts(form));
  const send = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await props.send(submission(form, asked, allowReplies));
      clearDraft(localStorage, id);
      props.onSent();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const fieldError = (name: string) => error?.fields[name];
  const canTell = props.player?.canTell ?? false;
  const p = `fb-${id}`;
  return (
    <form class="stack feedback-form" onSubmit={send} aria-label="Your feedback">
      {error && (
        <Alert>
          {describe(error)}
          {Object.keys(error.fields).length > 0 && error.code !== "feedback_too_generic" && (
            <ul>
              {Object.entries(error.fields).map(([name, problem]) => (
                <li key={name}>
                  {name}: {problem}
                </li>
              ))}
            </ul>
          )}
        </Alert>
      )}
      {asked.map((key) => {
        const answer = form.aspects[key] ?? { text: "", score: "" };
        const description = aspects.find((aspect) => aspect.key === key)?.description;
        const set = (part: Partial<typeof answer>) => change({ aspects: { ...form.aspects, [key]: { ...answer, ...part } } });
        return (
          <fieldset key={key} class="aspect">
            <legend>{aspectLabel(aspects, key)} (the artist asked)</legend>
            {description && <p class="hint">{description}</p>}
            <label for={`${p}-${key}`} class="visually-hidden">
              {aspectLabel(aspects, key)}
            </label>
            <textarea id={`${p}-${key}`} required rows={3} maxLength={2000} value={answer.text} onInput={(e) => set({ text: e.currentTarget.value })} />
            <label class="inline">
              Score (optional){" "}
              <select value={answer.score} onChange={(e) => set({ score: e.currentTarget.value })} aria-label={`${aspectLabel(aspects, key)} score`}>
                <option value="">–</option>
                {[1, 2, 3, 4, 5].map((score) => (
                  <option key={score} value={String(score)}>
                    {score} / 5
                  </option>
                ))}
              </select>
            </label>
          </fieldset>
        );
      })}
      {(
        [
          ["strongest", "Strongest moment", "What works best, and where (e.g. “the drop at 1:10”)."],
          ["problem", "Biggest problem", "The one thing that holds the track back most."],
          ["next", "One next step", "Something concrete to try next."],
        ] as const
      ).map(([name, label, hint]) => (
        <div class="field" key={name}>
          <label for={`${p}-${name}`}>{label}</label>
          <p class="hint" id={`${p}-${name}-hint`}>
            {hint}
          </p>
          <textarea id={`${p}-${name}`} required rows={2} maxLength={2000} aria-describedby={`${p}-${name}-hint`} value={form[name]} onInput={(e) => change({ [name]: e.currentTarget.value })} />
        </div>
      ))}
      <div class="field">
        <label for={`${p}-notes`}>Anything else (optional)</label>
        <textarea id={`${p}-notes`} rows={3} maxLength={10000} value={form.notes} onInput={(e) => change({ notes: e.currentTarget.value })} />
        <p class="hint">Times you write, like 1:23 or 1:05–1:20, become notes on the track's timeline.</p>
      </div>
      <fieldset class="marks">
        <legend>Notes on moments</legend>
        {form.marks.length === 0 && <p class="hint">{canTell ? "Play the track and add a note where something happens." : "Add a note and type the time (m:ss)."}</p>}
        <ol class="mark-list">
          {form.marks.map((mark, index) => (
            <li key={index} class="mark-row">
              <label class="visually-hidden" for={`mark-${id}-${index}-at`}>
                Time of note {index + 1}
              </label>
              <input id={`mark-${id}-${index}-at`} class="time" inputMode="numeric" placeholder="m:ss" required value={mark.at} aria-invalid={fieldError(`marks.${index}.at_s`) ? "true" : undefined} onInput={(e) => changeMark(index, { at: e.currentTarget.value })} />
              <label class="visually-hidden" for={`mark-${id}-${index}-to`}>
                End of note {index + 1} (optional)
              </label>
              <input id={`mark-${id}-${index}-to`} class="time" inputMode="numeric" placeholder="to" value={mark.to} onInput={(e) => changeMark(index, { to: e.currentTarget.value })} />
              <label class="visually-hidden" for={`mark-${id}-${index}-text`}>
                Note {index + 1}
              </label>
              <input id={`mark-${id}-${index}-text`} class="grow" maxLength={500} required value={mark.text} placeholder="What happens here?" onInput={(e) => changeMark(index, { text: e.currentTarget.value.replace(/[\r\n]+/g, " ") })} />
              <button type="button" class="link" onClick={() => change({ marks: form.marks.filter((_, at) => at !== index) })} aria-label={`Remove note ${index + 1}`}>
                Remove
              </button>
            </li>
          ))}
        </ol>
        {form.marks.length < MAX_MARKS && (
          <button type="button" onClick={() => void addMark()}>
            {canTell && props.position !== null ? `Note at ${clock(props.position)}` : canTell ? "Note at 0:00" : "Add a note"}
          </button>
        )}
        {props.request.track_length_s != null && <p class="hint">The track is {clock(props.request.track_length_s)} long.</p>}
      </fieldset>
      <p class={words < MIN_WORDS ? "hint" : "hint ok"} aria-live="polite">
        {words} {words === 1 ? "word" : "words"}
        {words < MIN_WORDS ? ` — at least ${MIN_WORDS} over all the fields` : " — thank you for the detail"}
      </p>
      <p class="hint">Drafts are kept on this device until you send them.</p>
      <label class="check">
        <input type="checkbox" checked={allowReplies} onChange={(e) => setAllowReplies(e.currentTarget.checked)} /> Let the artist reply
      </label>
      <button class="primary">Send feedback</button>
    </form>
  );
}
