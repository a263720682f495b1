// Users: search and filters, and one user in full with the ban and unban actions.
import { useState } from "preact/hooks";
import { api, unwrap, type ApiError, type Schemas } from "../../lib/api";
import { describe } from "../../lib/errors";
import { asApiError } from "../../lib/forms";
import { Alert, Link, Loading } from "../../components/ui";
import { AdminList, useDetail, when, type Query } from "./list";

type Detail = Schemas["AdminUserDetail"];
const YES_NO: Array<[string, string]> = [
  ["true", "Yes"],
  ["false", "No"],
];

export function UserList() {
  return (
    <AdminList<Schemas["AdminUser"]>
      label="users"
      csv="/api/v1/admin/users.csv"
      defaults={{ sort: "-created_at" }}
      fields={[
        { name: "q", label: "Email contains" },
        { name: "rating_min", label: "Rating from", kind: "number" },
        { name: "rating_max", label: "Rating to", kind: "number" },
        { name: "banned", label: "Banned", kind: "select", options: YES_NO },
        { name: "admin", label: "Admin", kind: "select", options: YES_NO },
        { name: "min_strikes", label: "Strikes at least", kind: "number" },
        { name: "joined_from", label: "Joined from", kind: "date" },
        { name: "joined_to", label: "Joined to", kind: "date" },
      ]}
      sorts={[
        ["-created_at", "Newest first"],
        ["created_at", "Oldest first"],
        ["email", "Email"],
        ["-rating", "Highest rating"],
        ["rating", "Lowest rating"],
        ["-strikes", "Most strikes"],
      ]}
      load={(query: Query) => unwrap(api.GET("/api/v1/admin/users", { params: { query: query as never } }))}
      columns={[
        { label: "Email", cell: (u) => <Link href={`/admin/users/${u.id}`}>{u.email}</Link> },
        { label: "Rating", cell: (u) => u.rating ?? "—" },
        { label: "Joined", cell: (u) => when(u.created_at) },
        { label: "Strikes", cell: (u) => u.active_strikes },
        { label: "Reports", cell: (u) => u.reports_against },
        { label: "Status", cell: (u) => <StatusBadges user={u} /> },
      ]}
    />
  );
}

function StatusBadges(props: { user: Schemas["AdminUser"] }) {
  const { user } = props;
  return (
    <span class="badges">
      {user.is_admin && <span class="badge info">admin</span>}
      {user.banned && <span class="badge warn">banned</span>}
      {user.deleted && <span class="badge">deleted</span>}
      {!user.email_verified && !user.deleted && <span class="badge">unconfirmed</span>}
    </span>
  );
}

export function UserDetail(props: { id: number }) {
  const { data, error, reload } = useDetail(
    () => unwrap(api.GET("/api/v1/admin/users/{user_id}", { params: { path: { user_id: props.id } } })).then((a) => a.user),
    props.id,
  );
  if (error) return <Alert>{describe(error)}</Alert>;
  if (!data) return <Loading what="the user" />;
  return (
    <div class="stack">
      <p>
        <Link href="/admin/users">← All users</Link>
      </p>
      <section class="card stack" aria-labelledby="user-heading">
        <h2 id="user-heading">
          {data.email} <StatusBadges user={data} />
        </h2>
        <dl class="figures">
          <dt>Joined</dt>
          <dd>{when(data.created_at)}</dd>
          <dt>Rating</dt>
          <dd>{data.rating ?? "—"}</dd>
          <dt>Feedback written</dt>
          <dd>{data.feedback_written}</dd>
          <dt>Feedback owed</dt>
          <dd>{data.feedback_owed}</dd>
          <dt>Refused by the effort gate</dt>
          <dd>
            {data.feedback_refusals.too_short} too short · {data.feedback_refusals.repeated} repeated
          </dd>
          <dt>Feedback received</dt>
          <dd>{data.feedback_received}</dd>
          <dt>Mean rating received</dt>
          <dd>{data.mean_rating_received ?? "—"}</dd>
          <dt>Mean rating given</dt>
          <dd>{data.mean_rating_given ?? "—"}</dd>
          <dt>Active strikes</dt>
          <dd>{data.active_strikes}</dd>
        </dl>
        {data.banned && (
          <p class="alert alert-info">
            Banned {when(data.banned_at)}: {data.ban_reason}
          </p>
        )}
      </section>
      {!data.is_admin && !data.deleted && <BanForm user={data} onDone={reload} />}
      <section aria-labelledby="user-groups">
        <h2 id="user-groups">Groups</h2>
        <ul class="history">
          {data.groups.map((g) => (
            <li key={g.id}>
              <Link href={`/admin/groups/${g.id}`}>{g.name}</Link> · {when(g.created_at)} {g.closed_at ? "· closed" : "· open"}
            </li>
          ))}
        </ul>
        {data.groups.length === 0 && <p class="empty">No groups.</p>}
      </section>
      <section aria-labelledby="user-requests">
        <h2 id="user-requests">Requests</h2>
        <ul class="history">
          {data.requests.map((r) => (
            <li key={r.id}>
              {r.track_title ?? r.media_url ?? "Without a track"} · {r.genre} · {when(r.created_at)} {r.group_id ? "· grouped" : "· waiting"}
            </li>
          ))}
        </ul>
      </section>
      <section aria-labelledby="user-reports">
        <h2 id="user-reports">Reports against them</h2>
        <ul class="history">
          {data.reports.map((r) => (
            <li key={r.id}>
              <Link href={`/admin/reports/${r.id}`}>#{r.id}</Link> {r.reason} · {r.state} · {when(r.created_at)}
            </li>
          ))}
        </ul>
        {data.reports.length === 0 && <p class="empty">None.</p>}
      </section>
    </div>
  );
}

function BanForm(props: { user: Detail; onDone: () => void }) {
  const [reason, setReason] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const lifting = props.user.banned;
  const submit = async (event: Event) => {
    event.preventDefault();
    const path = lifting ? "/api/v1/admin/users/{user_id}/unban" : "/api/v1/admin/users/{user_id}/ban";
    try {
      await unwrap(api.POST(path, { params: { path: { user_id: props.user.id } }, body: { reason } }));
      setReason("");
      setError(null);
      props.onDone();
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  return (
    <form class="card stack" onSubmit={submit} aria-labelledby="ban-heading">
      <h2 id="ban-heading">{lifting ? "Lift the ban" : "Ban this user"}</h2>
      {!lifting && (
        <p class="muted">
          Their sessions and live streams end at once, their waiting request is withdrawn and what they owe in their
          groups is dropped. They are told the reason when they try to sign in.
        </p>
      )}
      <div class="field">
        <label for="ban-reason">Reason</label>
        <input id="ban-reason" type="text" required maxLength={2000} value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
      </div>
      {error && <Alert>{error.fields["reason"] ?? describe(error)}</Alert>}
      <button class={lifting ? "primary" : "danger"} type="submit">
        {lifting ? "Lift the ban" : "Ban"}
      </button>
    </form>
  );
}
