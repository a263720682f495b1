// Countdowns and dates as a musician reads them.

/** "in 2 days 4 h", "in 3 h 12 min", "in 4 min 05 s", "any moment now" for the time left until `target`. */
export function countdown(target: Date, now: Date): string {
  const seconds = Math.floor((target.getTime() - now.getTime()) / 1000);
  if (seconds <= 0) return "any moment now";
  const hours = Math.floor(seconds / 3600);
  if (hours >= 48) return `in ${Math.floor(hours / 24)} days ${hours % 24} h`;
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (hours > 0) return `in ${hours} h ${String(minutes).padStart(2, "0")} min`;
  return `in ${minutes} min ${String(rest).padStart(2, "0")} s`;
}

export function shortDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
}

/** "just now", "5 min ago", "3 h ago", "2 days ago". */
export function relativeTime(then: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - then.getTime()) / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  return `${days} ${days === 1 ? "day" : "days"} ago`;
}
