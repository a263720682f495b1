// My progress: what reviewers said about the caller's tracks, per focus aspect (how often asked and
// answered, the mean score), and the moments of their latest track that reviewers marked most.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, unwrap, type Schemas } from "../lib/api";
import { aspectLabel, useAspects } from "../lib/aspects";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { span } from "../lib/moments";
import { useSession } from "../lib/session";
import { Standing } from "../components/Standing";
import { Alert, Loading, Page } from "../components/ui";

export function Progress() {
  const { user } = useSession();
  const aspects = useAspects();
  const [data, setData] = useState<Schemas["Progress"] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    unwrap(api.GET("/api/v1/me/progress")).then(setData, (caught) => setError(asApiError(caught)));
  }, []);
  if (error) return <Page title="My progress"><Alert>{describe(error)}</Alert></Page>;
  if (!data) return <Page title="My progress"><Loading what="your progress" /></Page>;
  const used = data.aspects.filter((item) => item.asked > 0 || item.answers > 0);
  const latest = data.latest_track;
  return (
    <Page title="My progress">
      <section class="card stack" aria-labelledby="standing-heading">
        <h2 id="standing-heading">Your feedback to others</h2>
        <Standing user={user} />
      </section>
      <section class="card stack" aria-labelledby="aspects-heading">
        <h2 id="aspects-heading">What reviewers said, by aspect</h2>
        {used.length === 0 ? (
          <p class="empty">Pick up to three focus aspects when you ask for feedback, and reviewers' answers add up here.</p>
        ) : (
          <table class="progress-table">
            <thead>
              <tr>
                <th scope="col">Aspect</th>
                <th scope="col">You asked</th>
                <th scope="col">Answers</th>
                <th scope="col">Mean score</th>
              </tr>
            </thead>
            <tbody>
              {used.map((item) => (
                <tr key={item.key}>
                  <th scope="row">{aspectLabel(aspects, item.key)}</th>
                  <td>{item.asked}×</td>
                  <td>{item.answers}</td>
                  <td>{item.mean_score != null ? `${item.mean_score.toFixed(1)} / 5` : "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section class="card stack" aria-labelledby="moments-heading">
        <h2 id="moments-heading">Moments most noted{latest?.track_title ? ` in “${latest.track_title}”` : " in your latest track"}</h2>
        {!latest || latest.moments.length === 0 ? (
          <p class="empty">No notes on moments yet: they appear once you can read the feedback on your latest track.</p>
        ) : (
          <ol class="moments">
            {latest.moments.map((moment, index) => (
              <li key={index}>
                <strong>
                  {moment.reviewers} of {latest.reviewers}
                </strong>{" "}
                {latest.reviewers === 1 ? "reviewer" : "reviewers"} noted <span class="time-link">{span(moment)}</span>
                <ul class="moment-notes">
                  {moment.notes.map((note, at) => (
                    <li key={at}>{note}</li>
                  ))}
                </ul>
              </li>
            ))}
          </ol>
        )}
      </section>
    </Page>
  );
}
