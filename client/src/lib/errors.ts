// What to tell a musician for each error code the API answers with.
import type { ApiError } from "./api";

const MESSAGES: Partial<Record<string, string>> = {
  invalid_credentials: "That email and password do not match an account.",
  email_taken: "An account with this email already exists. Sign in instead?",
  token_revoked: "Your session has ended. Sign in again.",
  not_authenticated: "Please sign in.",
  invalid_token: "This reset link has expired or was already used. Ask for a new one.",
  pending_request_exists: "You already have a track waiting for a group. Edit or withdraw it first.",
  duplicate_track: "This track is already waiting for a group.",
  invalid_media_url: "We can't use this link. Paste a SoundCloud, Google Drive, Dropbox or OneDrive share link.",
  already_grouped: "This request is already in a group and can no longer change.",
  already_submitted: "You already sent this feedback.",
  already_rated: "You already rated this feedback.",
  feedback_locked: "Write your feedback for everyone in the group first.",
  replies_closed: "This conversation is closed.",
  rate_first: "Rate this feedback to reply to it.",
  already_reported: "You already reported this. A moderator will look at it.",
  network_error: "The service cannot be reached. Check your connection and try again.",
  database_unavailable: "The service is having trouble right now. Try again in a moment.",
  database_busy: "The service is busy. Try again in a moment.",
  database_timeout: "That took too long. Try again in a moment.",
};

export function waitText(seconds: number): string {
  if (seconds < 60) return `${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minute${minutes === 1 ? "" : "s"}`;
}

/** One sentence for the whole error; field problems are shown by their fields. */
export function describe(error: Pick<ApiError, "code" | "message" | "retryAfter">): string {
  if (error.code === "rate_limited") {
    return error.retryAfter ? `Too many attempts. Try again in ${waitText(error.retryAfter)}.` : "Too many attempts. Try again later.";
  }
  if (error.code === "validation_error") return "Please check the highlighted fields.";
  return MESSAGES[error.code] ?? error.message;
}
