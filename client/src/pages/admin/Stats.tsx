// The service's daily figures over a range: charts (uPlot) with their numbers, the day's extremes,
// and the CSV export.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, unwrap, type ApiError, type Schemas } from "../../lib/api";
import { describe } from "../../lib/errors";
import { asApiError } from "../../lib/forms";
import { Alert, Link, Loading } from "../../components/ui";

type Day = Schemas["StatsDay"];
interface Line {
  label: string;
  color: string;
  values: Array<number | null>;
}

const isoDay = (date: Date) => date.toISOString().slice(0, 10);

/** Whether a chart has anything to draw: a line of nothing but gaps and zeros is no data yet. */
export function hasData(lines: Line[]): boolean {
  return lines.some((line) => line.values.some((value) => value !== null && value !== 0));
}

function Chart(props: { title: string; days: string[]; lines: Line[]; unit?: string }) {
  const box = useRef<HTMLDivElement>(null);
  const drawn = hasData(props.lines);
  useEffect(() => {
    const element = box.current;
    if (!element || !drawn) return;
    const xs = props.days.map((day) => Date.parse(`${day}T00:00:00Z`) / 1000);
    const plot = new uPlot(
      {
        width: Math.max(280, element.clientWidth),
        height: 220,
        scales: { x: { time: true } },
        series: [{}, ...props.lines.map((line) => ({ label: line.label, stroke: line.color, width: 2, points: { show: true } }))],
        axes: [{ stroke: "currentColor" }, { stroke: "currentColor", label: props.unit ?? "" }],
      },
      [xs, ...props.lines.map((line) => line.values)] as uPlot.AlignedData,
      element,
    );
    return () => plot.destroy();
  }, [props.days.join(), JSON.stringify(props.lines), drawn]);
  return (
    <figure class="chart card">
      <figcaption>{props.title}</figcaption>
      {drawn ? <div ref={box} aria-hidden="true" /> : <p class="empty no-data">No data yet for these days.</p>}
      <details>
        <summary>The figures</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {props.lines.map((line) => (
                <th scope="col" key={line.label}>
                  {line.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.days.map((day, index) => (
              <tr key={day}>
                <td>{day}</td>
                {props.lines.map((line) => (
                  <td key={line.label}>{line.values[index] ?? "—"}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

export function Stats() {
  const today = new Date();
  const [from, setFrom] = useState(isoDay(new Date(today.getTime() - 29 * 86_400_000)));
  const [to, setTo] = useState(isoDay(today));
  const [days, setDays] = useState<Day[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    unwrap(api.GET("/api/v1/admin/stats", { params: { query: { from, to } } })).then(
      (series) => (setDays(series.days), setError(null)),
      (caught: unknown) => setError(asApiError(caught)),
    );
  }, [from, to]);
  const labels = days?.map((day) => day.day) ?? [];
  const pick = (fn: (day: Day) => number | null | undefined) => days?.map((day) => fn(day) ?? null) ?? [];
  const last = days?.[days.length - 1];
  const ratings = [1, 2, 3, 4, 5].map((n) => (days ?? []).reduce((sum, day) => sum + (day.ratings.distribution[String(n)] ?? 0), 0));
  const most = Math.max(1, ...ratings);
  return (
    <div class="stack">
      <form class="filters" onSubmit={(event) => event.preventDefault()} aria-label="Range">
        <div class="field">
          <label for="stats-from">From</label>
          <input id="stats-from" type="date" value={from} onChange={(e) => setFrom(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="stats-to">To</label>
          <input id="stats-to" type="date" value={to} onChange={(e) => setTo(e.currentTarget.value)} />
        </div>
      </form>
      <p class="list-tools">
        <span class="muted">Stored nightly by compute_stats; today is computed live.</span>
        <a href={`/api/v1/admin/stats.csv?from=${from}&to=${to}`} download>
          Export CSV
        </a>
      </p>
      {error && <Alert>{error.fields["from"] ?? describe(error)}</Alert>}
      {!days && !error && <Loading what="the statistics" />}
      {days && days.length === 0 && <p class="empty">No figures for these days yet.</p>}
      {days && days.length > 0 && (
        <>
          <div class="charts">
            <Chart
              title="Activity per day"
              days={labels}
              lines={[
                { label: "Sign-ups", color: "#5b2bd6", values: pick((d) => d.signups) },
                { label: "Active users", color: "#1b6e3a", values: pick((d) => d.active_users) },
                { label: "Requests", color: "#c2410c", values: pick((d) => d.requests.total) },
                { label: "Groups formed", color: "#0e7490", values: pick((d) => d.groups.formed) },
              ]}
            />
            <Chart
              title="Feedback written by the deadline (%)"
              unit="%"
              days={labels}
              lines={[
                {
                  label: "Completion",
                  color: "#1b6e3a",
                  values: pick((d) => (d.feedback.completion_rate === null ? null : Math.round(d.feedback.completion_rate * 1000) / 10)),
                },
              ]}
            />
            <Chart
              title="Hours to first feedback (median) and mean rating"
              days={labels}
              lines={[
                { label: "Hours to first feedback", color: "#c2410c", values: pick((d) => d.median_hours_to_first_feedback) },
                { label: "Mean rating", color: "#5b2bd6", values: pick((d) => d.ratings.mean) },
                { label: "Replies per thread", color: "#0e7490", values: pick((d) => d.replies.per_thread) },
              ]}
            />
          </div>
          <section class="card" aria-labelledby="ratings-heading">
            <h2 id="ratings-heading">Ratings given in these days</h2>
            {ratings.every((count) => count === 0) && <p class="empty no-data">No data yet: no ratings given in these days.</p>}
            <ul class="bars">
              {ratings.map((count, index) => (
                <li key={index}>
                  <span class="bar-label">{index + 1} ★</span>
                  <span class="bar" style={{ width: `${(count / most) * 100}%` }} />
                  <span class="bar-value">{count}</span>
                </li>
              ))}
            </ul>
          </section>
          {last && (
            <section class="card stack" aria-labelledby="extremes-heading">
              <h2 id="extremes-heading">Extremes on {last.day}</h2>
              <h3>Most helpful reviewers (30 days, at least 5 ratings)</h3>
              <ol>
                {last.extremes.helpful_reviewers.map((r) => (
                  <li key={r.user_id}>
                    <Link href={`/admin/users/${r.user_id}`}>{r.email ?? `user ${r.user_id}`}</Link> · {r.mean_rating} from {r.ratings}
                  </li>
                ))}
              </ol>
              {last.extremes.helpful_reviewers.length === 0 && <p class="empty">Nobody with 5 ratings yet.</p>}
              <h3>Fastest groups (deadline that day)</h3>
              <ol>
                {last.extremes.fastest_groups.map((g) => (
                  <li key={g.group_id}>
                    <Link href={`/admin/groups/${g.group_id}`}>{g.name}</Link> · {g.hours} h
                  </li>
                ))}
              </ol>
              {last.extremes.fastest_groups.length === 0 && <p class="empty">No group finished with its deadline that day.</p>}
            </section>
          )}
        </>
      )}
    </div>
  );
}
