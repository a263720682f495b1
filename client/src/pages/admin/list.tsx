// What every admin list shares: filters kept in the address, a sortable table, pages, and the CSV
// export of exactly what the filters select.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import type { ApiError } from "../../lib/api";
import { describe } from "../../lib/errors";
import { asApiError } from "../../lib/forms";
import { Alert, Loading } from "../../components/ui";

export interface PageOf<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
  has_next: boolean;
}
export type Query = Record<string, string>;

export interface FilterField {
  name: string;
  label: string;
  kind?: "text" | "date" | "number" | "select";
  options?: Array<[string, string]>;
}

export interface Column<T> {
  label: string;
  cell: (item: T) => ComponentChildren;
}

/** The query without empty values, as the API takes it. */
export function sent(query: Query): Query {
  return Object.fromEntries(Object.entries(query).filter(([, value]) => value !== ""));
}

function fromAddress(defaults: Query): Query {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(Object.keys({ ...defaults, page: "" }).map((key) => [key, params.get(key) ?? defaults[key] ?? ""]));
}

export function AdminList<T extends { id: number }>(props: {
  label: string;
  fields: FilterField[];
  sorts: Array<[string, string]>;
  defaults: Query;
  columns: Column<T>[];
  load: (query: Query) => Promise<PageOf<T>>;
  csv: string;
  refresh?: number;
}) {
  const [query, setQuery] = useState<Query>(() => fromAddress(props.defaults));
  const [data, setData] = useState<PageOf<T> | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const search = new URLSearchParams(sent(query)).toString();
    history.replaceState(null, "", location.pathname + (search ? `?${search}` : ""));
    let live = true;
    props.load(sent(query)).then(
      (page) => live && (setData(page), setError(null)),
      (caught: unknown) => live && setError(asApiError(caught)),
    );
    return () => {
      live = false;
    };
  }, [JSON.stringify(query), props.refresh]);
  const change = (name: string, value: string) => setQuery({ ...query, [name]: value, page: "" });
  const filters = sent({ ...query, page: "", per_page: "" });
  return (
    <section aria-label={props.label} class="admin-list">
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label={`Filter ${props.label}`}>
        {props.fields.map((field) => (
          <div class="field" key={field.name}>
            <label for={`filter-${field.name}`}>{field.label}</label>
            {field.kind === "select" ? (
              <select id={`filter-${field.name}`} value={query[field.name] ?? ""} onChange={(e) => change(field.name, e.currentTarget.value)}>
                <option value="">Any</option>
                {field.options?.map(([value, text]) => (
                  <option key={value} value={value}>
                    {text}
                  </option>
                ))}
              </select>
            ) : (
              <input
                id={`filter-${field.name}`}
                type={field.kind ?? "text"}
                value={query[field.name] ?? ""}
                onChange={(e) => change(field.name, e.currentTarget.value)}
              />
            )}
          </div>
        ))}
        <div class="field">
          <label for="filter-sort">Sort by</label>
          <select id="filter-sort" value={query["sort"] ?? ""} onChange={(e) => change("sort", e.currentTarget.value)}>
            {props.sorts.map(([value, text]) => (
              <option key={value} value={value}>
                {text}
              </option>
            ))}
          </select>
        </div>
      </form>
      <p class="list-tools">
        {data && <span class="muted">{data.total === 1 ? "1 match" : `${data.total} matches`}</span>}
        <a href={`${props.csv}?${new URLSearchParams(filters).toString()}`} download>
          Export CSV
        </a>
      </p>
      {error && <Alert>{describe(error)}</Alert>}
      {!data && !error && <Loading what={props.label} />}
      {data && (
        <>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={`${props.label} (scrolls sideways on small screens)`}>
            <table>
              <thead>
                <tr>
                  {props.columns.map((column) => (
                    <th scope="col" key={column.label}>
                      {column.label}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {data.items.map((item) => (
                  <tr key={item.id}>
                    {props.columns.map((column) => (
                      <td key={column.label}>{column.cell(item)}</td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {data.items.length === 0 && <p class="empty">Nothing matches these filters.</p>}
          <nav class="pager" aria-label="Pages">
            <button class="link" disabled={data.page <= 1} onClick={() => setQuery({ ...query, page: String(data.page - 1) })}>
              Previous
            </button>
            <span class="muted">Page {data.page}</span>
            <button class="link" disabled={!data.has_next} onClick={() => setQuery({ ...query, page: String(data.page + 1) })}>
              Next
            </button>
          </nav>
        </>
      )}
    </section>
  );
}

/** A detail page's data: loaded once per id (and again on `reload`). */
export function useDetail<T>(load: () => Promise<T>, key: unknown): { data: T | null; error: ApiError | null; reload: () => void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [round, setRound] = useState(0);
  useEffect(() => {
    load().then(setData, (caught: unknown) => setError(asApiError(caught)));
  }, [key, round]);
  return { data, error, reload: () => setRound(round + 1) };
}

export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "—";
}
