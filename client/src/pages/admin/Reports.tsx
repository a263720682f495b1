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

/** Whether the reported item (the feedback, or the reported reply) is hidden now. */
function reportedHidden(report: Report): boolean {
  if (report.item.type === "reply") return report.replies.some((reply) => reply.id === report.item.id && reply.hidden);
  return report.feedback.hidden;
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
      {report.state !== "open" && (reportedHidden(report) ? <Restore report={report} onRestored={props.onResolved} /> : null)}
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

const ACTIONS: Array<["dismiss" | "hide" | "warn" | "ban", string, string, (report: Report) => string]> = [
  ["dismiss", "Dismiss", "", () => "Dismiss this report? The item stays; the reporters are told."],
  ["hide", "Hide it", "", () => "Hide this item? Its owner sees it as removed; you can undo this."],
  ["warn", "Warn the writer", "", (report) => `Warn ${report.writer.email}? They are told a moderator warned them.`],
  ["ban", "Ban the writer", "danger", (report) => `Ban ${report.writer.email}? Their sessions end at once.`],
];

/** Every moderation step asks for a note (it goes into the audit log) and a confirmation. */
function useModeration(onDone: () => void) {
  const [note, setNote] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [missingNote, setMissingNote] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async (question: string, work: () => Promise<unknown>) => {
    if (!note.trim()) return setMissingNote(true);
    setMissingNote(false);
    if (!confirm(question)) return;
    setBusy(true);
    try {
      await work();
      setNote("");
      onDone();
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  };
  const field = (id: string, label: string) => (
    <div class="field">
      <label for={id}>{label}</label>
      <textarea
        id={id}
        rows={2}
        maxLength={2000}
        required
        value={note}
        aria-invalid={missingNote ? "true" : undefined}
        aria-describedby={missingNote ? `${id}-error` : undefined}
        onInput={(e) => setNote(e.currentTarget.value)}
      />
      {missingNote && (
        <p class="field-error" id={`${id}-error`}>
          Write a note first: it goes into the audit log.
        </p>
      )}
    </div>
  );
  return { note, error, busy, run, field };
}

function Resolve(props: { report: Report; onResolved: () => void }) {
  const moderation = useModeration(props.onResolved);
  const act = (action: "dismiss" | "hide" | "warn" | "ban", question: string) =>
    moderation.run(question, () =>
      unwrap(
        api.POST("/api/v1/admin/reports/{report_id}/resolve", {
          params: { path: { report_id: props.report.id } },
          body: { action, note: moderation.note },
        }),
      ),
    );
  return (
    <section class="card stack" aria-labelledby="act-heading">
      <h2 id="act-heading">Act on it</h2>
      {moderation.field("note", "Note for the audit log (for a ban, it is the reason the writer sees at sign-in)")}
      {moderation.error && <Alert>{moderation.error.fields["note"] ?? describe(moderation.error)}</Alert>}
      <div class="actions">
        {ACTIONS.map(([action, label, kind, question]) => (
          <button key={action} class={kind} disabled={moderation.busy} onClick={() => act(action, question(props.report))}>
            {label}
          </button>
        ))}
      </div>
    </section>
  );
}

/** A hidden item can be shown again (the undo is audited too). */
function Restore(props: { report: Report; onRestored: () => void }) {
  const moderation = useModeration(props.onRestored);
  const restore = () =>
    moderation.run("Show this item again? Its owner sees it as before.", () =>
      unwrap(
        api.POST("/api/v1/admin/reports/{report_id}/restore", {
          params: { path: { report_id: props.report.id } },
          body: { note: moderation.note },
        }),
      ),
    );
  return (
    <section class="card stack" aria-labelledby="restore-heading">
      <h2 id="restore-heading">Undo the hide</h2>
      {moderation.field("restore-note", "Why it is shown again (for the audit log)")}
      {moderation.error && <Alert>{describe(moderation.error)}</Alert>}
      <button disabled={moderation.busy} onClick={restore}>
        Show it again
      </button>
    </section>
  );
}
