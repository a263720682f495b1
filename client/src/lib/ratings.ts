// What each rating means: shown where feedback is rated and beside a musician's own rating.
export const RATING_MEANINGS: Record<1 | 2 | 3 | 4 | 5, { label: string; meaning: string }> = {
  1: { label: "Not useful", meaning: "Vague, off-topic or unkind: nothing I can act on." },
  2: { label: "A little useful", meaning: "A general impression, with little I can act on." },
  3: { label: "Useful", meaning: "At least one specific point I can act on." },
  4: { label: "Very useful", meaning: "Several specific points, with reasons or suggestions." },
  5: { label: "Exceptional", meaning: "Detailed, specific, constructive and kind: it will change my track." },
};

/** The meaning of an average rating (rounded to the nearest score). */
export function ratingLabel(value: number): string {
  const score = Math.min(5, Math.max(1, Math.round(value))) as 1 | 2 | 3 | 4 | 5;
  return RATING_MEANINGS[score].label;
}
