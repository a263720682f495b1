// A response written with the guided form, field by field (free-text feedback shows as it was written).
import type { Response } from "../lib/api";
import { aspectLabel, useAspects } from "../lib/aspects";

const FIELDS = [
  ["strongest_moment", "Strongest moment"],
  ["biggest_problem", "Biggest problem"],
  ["next_step", "Next step"],
] as const;

export function FeedbackText(props: { response: Response }) {
  const aspects = useAspects();
  const guided = props.response.guided;
  if (!guided) return <p class="received">{props.response.feedback}</p>;
  return (
    <dl class="guided">
      {guided.aspects.map((answer) => (
        <div key={answer.key}>
          <dt>
            {aspectLabel(aspects, answer.key)}
            {answer.score != null && <span class="score"> {answer.score}/5</span>}
          </dt>
          <dd>{answer.text}</dd>
        </div>
      ))}
      {FIELDS.map(([name, label]) => (
        <div key={name}>
          <dt>{label}</dt>
          <dd>{guided[name]}</dd>
        </div>
      ))}
      {guided.notes && (
        <div>
          <dt>Notes</dt>
          <dd>{guided.notes}</dd>
        </div>
      )}
    </dl>
  );
}
