// Every reviewer's notes on moments of the owner's track, on one timeline under the player: a click
// seeks the player there. Notes are sorted by time (then text) and drawn alike, so nothing in their
// order or look tells which reviewer wrote which.
import type { Schemas } from "../lib/api";
import { span } from "../lib/moments";

type Mark = Schemas["MarkOut"];

export function Timeline(props: { marks: Mark[]; length: number | null; onSeek: ((seconds: number) => void) | null }) {
  if (props.marks.length === 0) return null;
  const marks = [...props.marks].sort((a, b) => a.at_s - b.at_s || (a.to_s ?? a.at_s) - (b.to_s ?? b.at_s) || a.text.localeCompare(b.text));
  const end = Math.max(props.length ?? 0, ...marks.map((mark) => mark.to_s ?? mark.at_s), 1);
  const seek = props.onSeek;
  return (
    <section class="timeline" aria-label="Notes on moments of your track">
      <h4>Moments reviewers noted</h4>
      <div class="timeline-bar" aria-hidden="true">
        {marks.map((mark, index) => (
          <span
            key={index}
            class={mark.to_s != null ? "tick range" : "tick"}
            style={{ left: `${(100 * mark.at_s) / end}%`, width: mark.to_s != null ? `${Math.max(0.8, (100 * (mark.to_s - mark.at_s)) / end)}%` : undefined }}
          />
        ))}
      </div>
      <ol class="timeline-list">
        {marks.map((mark, index) => (
          <li key={index}>
            {seek ? (
              <button type="button" class="time-link" onClick={() => seek(mark.at_s)} aria-label={`Play from ${span(mark)}: ${mark.text}`}>
                {span(mark)}
              </button>
            ) : (
              <span class="time-link">{span(mark)}</span>
            )}{" "}
            {mark.text}
          </li>
        ))}
      </ol>
      {!seek && <p class="hint">This player cannot be moved from here: use its own controls.</p>}
    </section>
  );
}
