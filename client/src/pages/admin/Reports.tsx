// The moderation queue (oldest first) and one report with its context and the actions on it.
import { useState } from "preact/hooks";
import { api, unwrap, type ApiError, type Schemas } from "../../lib/api";
import { describe } from "../../lib/errors";
import { asApiError } from "../../lib/forms";
import { Alert, Link, Loading } from "../../components/ui";
import { AdminList, useDetail, when, type Query } from "./list";

type Report = Schemas["ReportDetail"];
export const REASONS: Array<[string, string]> = [
  ["abusive", "Abusive"],
  ["spam", "Spam"],
  ["low_effort", "Low effort"],
  ["other", "Other"],
];
const STATES: Array<[string, string]> = [
  ["open", "Open"],
  ["dismissed", "Dismissed"],
  ["hidden", "Hidden"],
  ["warned", "Warned"],
  ["banned", "Banned"],
];
const reasonText = (reason: string) => REASONS.find(([key]) => key === reason)?.[1] ?? reason;

export function ReportQueue() {
  return (
    <AdminList<Schemas["ReportListItem"]>
      label="reports"
      csv="/api/v1/admin/reports.csv"
      defaults={{ state: "open", sort: "created_at" }}
      fields={[
        { name: "state", label: "State", kind: "select", options: STATES },
        { name: "reason", label: "Reason", kind: "select", options: REASONS },
      ]}
      sorts={[
        ["created_at", "Oldest first"],
        ["-created_at", "Newest first"],
      ]}
      load={(query: Query) => unwrap(api.GET("/api/v1/admin/reports", { params: { query: query as never } }))}
      columns={[
        { label: "Reported", cell: (r) => <Link href={`/admin/reports/${r.id}`}>{when(r.created_at)}</Link> },
        { label: "Reason", cell: (r) => reasonText(r.reason) },
        { label: "What", cell: (r) => <span class="excerpt">{r.item.type === "reply" ? "Reply: " : "Feedback: "}{r.excerpt}</span> },
        { label: "Writer", cell: (r) => <Link href={`/admin/users/${r.writer.id}`}>{r.writer.email}</Link> },
        { label: "State", cell: (r) => <span class={`badge ${r.state === "open" ? "warn" : ""}`}>{r.state}</span> },
      ]}
    />
  );
}

export function ReportDetail(props: { id: number }) {
  const { data, error, reload } = useDetail(
    () => unwrap(api.GET("/api/v1/admin/reports/{report_id}", { params: { path: { report_id: props.id } } })).then((a) => a.report),
    props.id,
  );
  if (error) return <Alert>{describe(error)}</Alert>;
  if (!data) return <Loading what="the report" />;
  return <ReportView report={data} onResolved={reload} />;
}

function ReportView(props: { report: Report; onResolved: () => void }) {
  const { report } = props;
  const reportedReply = report.item.type === "reply" ? report.item.id : null;
  return (
    <div class="stack">
      <p>
        <Link href="/admin">← Back to the queue</Link>
      </p>
      <section class="card stack" aria-labelledby="report-heading">
        <h2 id="report-heading">
          Report #{report.id}: {reasonText(report.reason)} <span class="badge">{report.state}</span>
        </h2>
        <p class="muted">
          By <Link href={`/admin/users/${report.reporter.id}`}>{report.reporter.email}</Link> on {when(report.created_at)} about{" "}
          {reportedReply ? "a reply" : "feedback"} by <Link href={`/admin/users/${report.writer.id}`}>{report.writer.email}</Link>.
        </p>
        {report.text && <blockquote class="report-text">{report.text}</blockquote>}
      </section>
      <section class="card stack" aria-labelledby="context-heading">
        <h2 id="context-heading">Context</h2>
        <p class="muted">
          <Link href={`/admin/groups/${report.group.id}`}>{report.group.name}</Link> · track by{" "}
          <Link href={`/admin/users/${report.track.owner.id}`}>{report.track.owner.email}</Link>
          {report.track.media_url && (
            <>
              {" "}
              · <a href={report.track.media_url}>the track</a>
            </>
          )}
        </p>
        <article class={reportedReply ? "context" : "context reported"} aria-label="The feedback">
          <p class="who">
            Feedback by {report.feedback.writer.email}
            {report.feedback.rating !== null && ` · rated ${report.feedback.rating}/5`}
            {report.feedback.hidden && " · hidden"}
          </p>
          <p class="received">{report.feedback.text}</p>
        </article>
        {report.replies.length > 0 && (
          <ol class="replies" aria-label="The thread">
            {report.replies.map((reply) => (
              <li key={reply.id} class={reply.id === reportedReply ? "reply reported" : "reply"}>
                <span class="who">{reply.author.email}</span> {reply.text}
                {reply.hidden && <span class="closed"> (hidden)</span>}
              </li>
            ))}
          </ol>
        )}
      </section>
      {report.state === "open" ? (
        <Resolve report={report} onResolved={props.onResolved} />
      ) : (
        <Alert kind="info">Resolved ({report.state}) on {when(report.resolved_at)}.</Alert>
      )}
      <section aria-labelledby="history-heading">
        <h2 id="history-heading">The writer's history</h2>
        <ul class="history">
          {report.writer_history.map((past) => (
            <li key={past.id}>
              <Link href={`/admin/reports/${past.id}`}>#{past.id}</Link> {reasonText(past.reason)} · {past.state} · {when(past.created_at)}
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}

const ACTIONS: Array<["dismiss" | "hide" | "warn" | "ban", string, string]> = [
  ["dismiss", "Dismiss", ""],
  ["hide", "Hide it", ""],
  ["warn", "Warn the writer", ""],
  ["ban", "Ban the writer", "danger"],
];

function Resolve(props: { report: Report; onResolved: () => void }) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (action: "dismiss" | "hide" | "warn" | "ban") => {
    if (action === "ban" && !confirm(`Ban ${props.report.writer.email}? Their sessions end at once.`)) return;
    setBusy(true);
    try {
      await unwrap(
        api.POST("/api/v1/admin/reports/{report_id}/resolve", {
          params: { path: { report_id: props.report.id } },
          body: { action, note },
        }),
      );
      props.onResolved();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card stack" aria-labelledby="act-heading">
      <h2 id="act-heading">Act on it</h2>
      <div class="field">
        <label for="note">Note for the audit log (a ban needs one: it is the ban's reason, which the writer sees at sign-in)</label>
        <textarea id="note" rows={2} maxLength={2000} value={note} onInput={(e) => setNote(e.currentTarget.value)} />
      </div>
      {error && <Alert>{error.fields["body"] ?? describe(error)}</Alert>}
      <div class="actions">
        {ACTIONS.map(([action, label, kind]) => (
          <button key={action} class={kind} disabled={busy} onClick={() => act(action)}>
            {label}
          </button>
        ))}
      </div>
    </section>
  );
}
