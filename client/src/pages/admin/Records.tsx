// Job runs and the audit log.
import { api, unwrap, type Schemas } from "../../lib/api";
import { AdminList, when, type Query } from "./list";

const JOBS = ["calculate_user_ratings", "send_group_reminders", "assign_groups", "recommend_tracks", "compute_stats", "enforce_deadlines", "clean_up"];

export function JobRuns() {
  return (
    <AdminList<Schemas["JobRunOut"]>
      label="job runs"
      csv="/api/v1/admin/job-runs.csv"
      defaults={{ sort: "-started_at" }}
      fields={[
        { name: "job", label: "Job", kind: "select", options: JOBS.map((job) => [job, job]) },
        {
          name: "outcome",
          label: "Outcome",
          kind: "select",
          options: ["ok", "partial", "failed", "skipped", "running"].map((o) => [o, o]),
        },
        { name: "started_from", label: "From", kind: "date" },
        { name: "started_to", label: "To", kind: "date" },
      ]}
      sorts={[
        ["-started_at", "Newest first"],
        ["started_at", "Oldest first"],
      ]}
      load={(query: Query) => unwrap(api.GET("/api/v1/admin/job-runs", { params: { query: query as never } }))}
      columns={[
        { label: "Job", cell: (r) => r.job },
        { label: "Started", cell: (r) => when(r.started_at) },
        { label: "Took", cell: (r) => (r.duration_seconds === null ? "—" : `${r.duration_seconds.toFixed(1)} s`) },
        { label: "Outcome", cell: (r) => <span class={`badge ${r.outcome === "ok" ? "good" : "warn"}`}>{r.outcome}</span> },
        {
          label: "Counts",
          cell: (r) =>
            Object.entries(r.counts)
              .map(([key, value]) => `${key} ${value}`)
              .join(", ") || "—",
        },
        { label: "Error", cell: (r) => r.error ?? "" },
      ]}
    />
  );
}

export function AuditLog() {
  return (
    <AdminList<Schemas["AuditEntry"]>
      label="audit log"
      csv="/api/v1/admin/audit-log.csv"
      defaults={{ sort: "-created_at" }}
      fields={[
        { name: "action", label: "Action" },
        { name: "target_type", label: "On", kind: "select", options: [["user", "Users"], ["report", "Reports"]] },
        { name: "target_id", label: "Id", kind: "number" },
      ]}
      sorts={[
        ["-created_at", "Newest first"],
        ["created_at", "Oldest first"],
      ]}
      load={(query: Query) => unwrap(api.GET("/api/v1/admin/audit-log", { params: { query: query as never } }))}
      columns={[
        { label: "When", cell: (e) => when(e.created_at) },
        { label: "Who", cell: (e) => e.actor },
        { label: "Did", cell: (e) => e.action.replace(/_/g, " ") },
        { label: "On", cell: (e) => `${e.target_type} ${e.target_id ?? ""}` },
        { label: "Why", cell: (e) => e.reason },
      ]}
    />
  );
}
