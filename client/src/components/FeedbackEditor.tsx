// Writing feedback on a track: the text (kept as a draft on this device until sent), whether the
// artist may reply, and what went wrong if sending failed.
import { useState } from "preact/hooks";
import type { ApiError } from "../lib/api";
import { clearDraft, loadDraft, saveDraft } from "../lib/drafts";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { Alert } from "./ui";

export function FeedbackEditor(props: {
  draft: number | string;
  send: (feedback: string, allowReplies: boolean) => Promise<void>;
  onSent: () => void;
}) {
  const id = props.draft;
  const [text, setText] = useState(() => loadDraft(localStorage, id));
  const [allowReplies, setAllowReplies] = useState(true);
  const [error, setError] = useState<ApiError | null>(null);
  const send = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await props.send(text, allowReplies);
      clearDraft(localStorage, id);
      props.onSent();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  return (
    <form class="stack" onSubmit={send}>
      {error && <Alert>{describe(error)}</Alert>}
      <div class="field">
        <label for={`feedback-${id}`}>Your feedback</label>
        <textarea
          id={`feedback-${id}`}
          required
          rows={6}
          maxLength={10000}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            saveDraft(localStorage, id, e.currentTarget.value);
          }}
        />
        <p class="hint">Drafts are kept on this device until you send them.</p>
      </div>
      <label class="check">
        <input type="checkbox" checked={allowReplies} onChange={(e) => setAllowReplies(e.currentTarget.checked)} /> Let the artist reply
      </label>
      <button class="primary">Send feedback</button>
    </form>
  );
}
