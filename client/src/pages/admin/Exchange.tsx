// Requests and groups, and one group with who owes what to whom (identities: admins only).
import { api, unwrap, type Schemas } from "../../lib/api";
import { useGenres } from "../../lib/genres";
import { describe } from "../../lib/errors";
import { Alert, Link, Loading } from "../../components/ui";
import { AdminList, useDetail, when, type FilterField, type Query } from "./list";

function useGenreFilter(): FilterField {
  const genres = useGenres();
  return { name: "genre", label: "Genre", kind: "select", options: genres.map((g) => [g.key, g.label]) };
}

export function RequestList() {
  const genre = useGenreFilter();
  return (
    <AdminList<Schemas["AdminRequest"]>
      label="requests"
      csv="/api/v1/admin/requests.csv"
      defaults={{ sort: "-created_at" }}
      fields={[
        { name: "state", label: "State", kind: "select", options: [["waiting", "Waiting"], ["grouped", "Grouped"]] },
        genre,
        { name: "tracked", label: "Track", kind: "select", options: [["true", "With a track"], ["false", "Without"]] },
        { name: "created_from", label: "Made from", kind: "date" },
        { name: "created_to", label: "Made to", kind: "date" },
      ]}
      sorts={[
        ["-created_at", "Newest first"],
        ["created_at", "Oldest first"],
        ["genre", "Genre"],
      ]}
      load={(query: Query) => unwrap(api.GET("/api/v1/admin/requests", { params: { query: query as never } }))}
      columns={[
        { label: "Made", cell: (r) => when(r.created_at) },
        { label: "By", cell: (r) => <Link href={`/admin/users/${r.user.id}`}>{r.user.email}</Link> },
        { label: "Track", cell: (r) => (r.media_url ? <a href={r.media_url}>{r.track_title ?? r.media_type}</a> : "—") },
        { label: "Genre", cell: (r) => r.genre },
        { label: "State", cell: (r) => (r.group_id ? <Link href={`/admin/groups/${r.group_id}`}>grouped</Link> : "waiting") },
      ]}
    />
  );
}

export function GroupList() {
  const genre = useGenreFilter();
  return (
    <AdminList<Schemas["AdminGroup"]>
      label="groups"
      csv="/api/v1/admin/groups.csv"
      defaults={{ sort: "-created_at" }}
      fields={[
        { name: "state", label: "State", kind: "select", options: [["open", "Open"], ["closed", "Closed"]] },
        genre,
        { name: "created_from", label: "Formed from", kind: "date" },
        { name: "created_to", label: "Formed to", kind: "date" },
      ]}
      sorts={[
        ["-created_at", "Newest first"],
        ["created_at", "Oldest first"],
        ["due_at", "Due soonest"],
        ["-size", "Largest"],
      ]}
      load={(query: Query) => unwrap(api.GET("/api/v1/admin/groups", { params: { query: query as never } }))}
      columns={[
        { label: "Group", cell: (g) => <Link href={`/admin/groups/${g.id}`}>{g.name}</Link> },
        { label: "Formed", cell: (g) => when(g.created_at) },
        { label: "Due", cell: (g) => when(g.due_at) },
        { label: "Size", cell: (g) => g.size },
        { label: "Written", cell: (g) => `${g.feedback_written} / ${g.feedback_owed}` },
        { label: "State", cell: (g) => g.state },
      ]}
    />
  );
}

export function GroupDetail(props: { id: number }) {
  const { data, error } = useDetail(
    () => unwrap(api.GET("/api/v1/admin/groups/{group_id}", { params: { path: { group_id: props.id } } })).then((a) => a.group),
    props.id,
  );
  if (error) return <Alert>{describe(error)}</Alert>;
  if (!data) return <Loading what="the group" />;
  const email = new Map(data.members.map((m) => [m.user.id, m.user.email]));
  return (
    <div class="stack">
      <p>
        <Link href="/admin/groups">← All groups</Link>
      </p>
      <section class="card stack" aria-labelledby="group-heading">
        <h2 id="group-heading">{data.name}</h2>
        <p class="muted">
          Formed {when(data.created_at)} · due {when(data.due_at)} · {data.state} · {data.feedback_written} of {data.feedback_owed} written
        </p>
      </section>
      <div class="table-wrap" tabIndex={0} role="region" aria-label="Members (scrolls sideways on small screens)">
        <table aria-label="Members">
          <thead>
            <tr>
              <th scope="col">Member</th>
              <th scope="col">Track</th>
              <th scope="col">Written</th>
              <th scope="col">Received</th>
            </tr>
          </thead>
          <tbody>
            {data.members.map((m) => (
              <tr key={m.request_id}>
                <td>
                  <Link href={`/admin/users/${m.user.id}`}>{m.user.email}</Link>
                </td>
                <td>{m.media_url ? <a href={m.media_url}>{m.track_title ?? "track"}</a> : "—"}</td>
                <td>
                  {m.feedback_written} / {m.feedback_to_write}
                </td>
                <td>{m.feedback_received}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h2>Who owes what</h2>
      <ul class="history">
        {data.responses.map((r) => (
          <li key={r.id}>
            {email.get(r.writer_id) ?? `user ${r.writer_id}`} → {email.get(r.owner_id) ?? `user ${r.owner_id}`}:{" "}
            {r.submitted_at ? `written ${when(r.submitted_at)}` : <strong>owed</strong>}
            {r.rating !== null && ` · rated ${r.rating}/5`}
            {r.hidden && " · hidden"}
          </li>
        ))}
      </ul>
    </div>
  );
}
