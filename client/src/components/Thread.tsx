// The reply thread under a piece of feedback: read (and marked read), answered, or closed.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, unwrap, type Reply } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { useNotifications } from "../lib/live";
import { useSession } from "../lib/session";
import { ReportButton } from "./ReportButton";
import { Alert } from "./ui";

export function Thread(props: { responseId: number; unread: number; onChange: () => void }) {
  const { reload } = useSession();
  const [replies, setReplies] = useState<Reply[] | null>(null);
  const [open, setOpen] = useState(false);
  const [text, setText] = useState("");
  const [close, setClose] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [writing, setWriting] = useState(false);
  const id = props.responseId;

  const load = async () => {
    const thread = await unwrap(api.GET("/api/v1/responses/{response_id}/replies", { params: { path: { response_id: id } } }));
    setReplies(thread.replies);
    setOpen(thread.allow_further_replies);
    const unread = thread.replies.filter((reply) => reply.author === "them" && !reply.read_at).map((reply) => reply.id);
    // Shown means read, but not in a tab nobody is looking at (a live update reloads it there too).
    if (unread.length && document.visibilityState === "visible") {
      await unwrap(api.POST("/api/v1/replies/read", { body: { reply_ids: unread } }));
      await reload();
      props.onChange();
    }
  };
  useEffect(() => {
    load().catch((caught: unknown) => setError(asApiError(caught)));
  }, [id]);
  useNotifications((notification) => {
    if (notification.kind === "reply" && notification.response_id === id) {
      load().catch((caught: unknown) => setError(asApiError(caught)));
    }
  });
  useEffect(() => {
    // Replies that arrived while the tab was hidden are marked read once it is looked at.
    const onVisible = () => {
      if (document.visibilityState === "visible") load().catch((caught: unknown) => setError(asApiError(caught)));
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => document.removeEventListener("visibilitychange", onVisible);
  }, [id]);

  const send = async (event: Event) => {
    event.preventDefault();
    setError(null);
    try {
      await unwrap(
        api.POST("/api/v1/responses/{response_id}/replies", {
          params: { path: { response_id: id } },
          body: { text, allow_replies: !close },
        }),
      );
      setText("");
      setClose(false);
      await load();
      props.onChange();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };

  if (replies === null) return error ? <Alert>{describe(error)}</Alert> : null;
  return (
    <section class="thread" aria-label="Replies">
      {replies.length > 0 && (
        <ol class="replies">
          {replies.map((reply) => (
            <li key={reply.id} class={reply.author === "you" ? "reply mine" : "reply"}>
              <span class="who">{reply.author === "you" ? "You" : "Them"}</span>{" "}
              {reply.removed_by_moderator ? <span class="removed">Removed by a moderator.</span> : reply.text}
              {!reply.allow_replies && <span class="closed"> (closed the conversation)</span>}
              {reply.author === "them" && !reply.removed_by_moderator && <ReportButton item={{ reply_id: reply.id }} what="this reply" />}
            </li>
          ))}
        </ol>
      )}
      {error && <Alert>{describe(error)}</Alert>}
      {open && replies.length === 0 && !writing ? (
        <button class="link" onClick={() => setWriting(true)}>
          Start a conversation
        </button>
      ) : open ? (
        <form class="reply-form" onSubmit={send}>
          <label for={`reply-${id}`}>Reply</label>
          <textarea id={`reply-${id}`} required maxLength={5000} rows={2} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <label class="check">
            <input type="checkbox" checked={close} onChange={(e) => setClose(e.currentTarget.checked)} /> Close this conversation after my reply
          </label>
          <button>Send reply</button>
        </form>
      ) : (
        <p class="muted">This conversation is closed.</p>
      )}
    </section>
  );
}
