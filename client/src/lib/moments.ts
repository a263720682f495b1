// Moments of a track as musicians write them: "1:23", "1:05–1:20".

/** Whole seconds as m:ss. */
export function clock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
}

export function span(mark: { at_s: number; to_s?: number | null }): string {
  return clock(mark.at_s) + (mark.to_s != null ? `–${clock(mark.to_s)}` : "");
}

/** "1:23" or "83" as whole seconds; null when it is neither. */
export function parseClock(text: string): number | null {
  const value = text.trim();
  const timed = /^(\d{1,3}):([0-5]\d)$/.exec(value);
  if (timed) return Number(timed[1]) * 60 + Number(timed[2]);
  return /^\d{1,5}$/.test(value) ? Number(value) : null;
}

/** Words as the service counts them for its effort gate (runs of letters and digits). */
export function wordCount(texts: string[]): number {
  return texts.reduce((sum, text) => sum + (text.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0), 0);
}

export const MIN_WORDS = 40;
