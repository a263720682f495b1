// "Report": tell the moderators about feedback or a reply that is abusive, spam or empty of effort.
import { useState } from "preact/hooks";
import { api, unwrap, type ApiError } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { Alert } from "./ui";

type Reason = "abusive" | "spam" | "low_effort" | "other";
const REASONS: Array<[Reason, string]> = [
  ["abusive", "Abusive or hurtful"],
  ["spam", "Spam"],
  ["low_effort", "No real effort"],
  ["other", "Something else"],
];

export function ReportButton(props: { item: { response_id: number } | { reply_id: number }; what: string }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState<Reason>("abusive");
  const [text, setText] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [sent, setSent] = useState(false);
  const key = "response_id" in props.item ? `response-${props.item.response_id}` : `reply-${props.item.reply_id}`;
  if (sent) return <p class="muted" role="status">Reported. A moderator will look at it; you'll hear the outcome.</p>;
  if (!open) {
    return (
      <button class="link report" onClick={() => setOpen(true)}>
        Report {props.what}
      </button>
    );
  }
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      await unwrap(api.POST("/api/v1/reports", { body: { ...props.item, reason, text } }));
      setSent(true);
    } catch (caught) {
      const problem = asApiError(caught);
      if (problem.code === "already_reported") setSent(true);
      else setError(problem);
    }
  };
  return (
    <form class="report-form card" onSubmit={submit} aria-label={`Report ${props.what}`}>
      <div class="field">
        <label for={`reason-${key}`}>Why are you reporting {props.what}?</label>
        <select id={`reason-${key}`} value={reason} onChange={(e) => setReason(e.currentTarget.value as Reason)}>
          {REASONS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for={`details-${key}`}>Anything the moderators should know (optional)</label>
        <textarea id={`details-${key}`} rows={2} maxLength={2000} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </div>
      {error && <Alert>{describe(error)}</Alert>}
      <div class="actions">
        <button class="primary" type="submit">
          Send the report
        </button>
        <button type="button" class="link" onClick={() => setOpen(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
