// Live notifications: one EventSource per tab, each notification re-dispatched as a window event
// that pages listen to (and refresh what it concerns), and the words and link each kind shows as.
import { useEffect, useRef } from "preact/hooks";
import type { Schemas } from "./api";

export type Notification = Schemas["NotificationOut"];
const NOTIFICATION = "hmt:notification";
const STREAM = "/api/v1/notifications/stream";

/**
 * Open the stream. `onChange` runs on every notification; `onEnded` when the server ended the
 * stream for the session (signed out, new password) or refused it. Returns the closer.
 * EventSource reconnects by itself after a dropped connection, sending Last-Event-ID, so nothing
 * announced meanwhile is missed.
 */
export function connectLive(onChange: () => void, onEnded: () => void): () => void {
  const source = new EventSource(STREAM);
  source.addEventListener("notification", (event) => {
    const notification = JSON.parse((event as MessageEvent<string>).data) as Notification;
    dispatchEvent(new CustomEvent<Notification>(NOTIFICATION, { detail: notification }));
    onChange();
  });
  source.addEventListener("session_ended", () => {
    source.close();
    onEnded();
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) onEnded(); // refused (401, 429): not retried by the browser
  };
  return () => source.close();
}

/** Run `handler` for each live notification while the component is mounted. */
export function useNotifications(handler: (notification: Notification) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const listener = (event: Event) => latest.current((event as CustomEvent<Notification>).detail);
    addEventListener(NOTIFICATION, listener);
    return () => removeEventListener(NOTIFICATION, listener);
  }, []);
}

const pieces = (count: number) => `${count} ${count === 1 ? "piece" : "pieces"}`;

/** What a notification says, and where it leads, naming the member's own track where it can (the
 * panel shows the group's name beside it). Kinds this client does not know still read sensibly. */
export function describeNotification(n: Notification): { text: string; href: string } {
  const group = n.group_id ? `/groups/${n.group_id}` : "/";
  const count = n.count ?? 0;
  const track = n.track_title ? `“${n.track_title}”` : "your track";
  const named = (text: string) => ({ text: text + ".", href: group });
  switch (n.kind) {
    case "grouped":
      return { text: `${track[0]!.toUpperCase()}${track.slice(1)} is in a new group. Listen to the others' tracks and write your feedback.`, href: group };
    case "feedback_received":
      return n.response_id
        ? named(`New feedback on ${track} is ready to read`)
        : named(`New feedback on ${track} (${pieces(count)} so far); write yours to unlock it`);
    case "feedback_unlocked":
      return named(`You've written all you owed: the feedback on ${track} is unlocked (${pieces(count)} so far)`);
    case "reply":
      return named("A new reply in one of your conversations");
    case "reminder":
      return named("Reminder: your group is waiting for your feedback");
    case "last_call":
      return named("Last call: feedback is due in 12 hours");
    case "strike":
      return { text: "You missed a group's deadline and got a strike. See how to clear it.", href: "/account" };
    case "request_withdrawn":
      return { text: `Your request for ${track} was withdrawn.`, href: "/" };
    case "report_dismissed":
      return named("A moderator looked at what you reported and left it as it is. Thank you for telling us");
    case "report_upheld":
      return named("A moderator acted on what you reported. Thank you for telling us");
    case "content_removed":
      return named("A moderator removed something you wrote, as it broke the community's rules");
    case "moderation_warning":
      return named("A moderator warned you about something you wrote. Please keep feedback kind and specific");
    default:
      return { text: "Something happened in your account.", href: group };
  }
}
