// The header's notifications button (with the unread count) and its panel: the latest
// notifications, each a link, marked read when followed; "Mark all read".
import { useEffect, useRef, useState } from "preact/hooks";
import { api, unwrap, type ApiError } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { describeNotification, useNotifications, type Notification } from "../lib/live";
import { navigate } from "../lib/router";
import { useSession } from "../lib/session";
import { relativeTime } from "../lib/time";
import { Alert } from "./ui";

export function NotificationsButton() {
  const { user, reload } = useSession();
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<Notification[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const button = useRef<HTMLButtonElement>(null);
  const unread = user?.notifications.unread_notifications ?? 0;

  const load = async () => {
    try {
      const page = await unwrap(api.GET("/api/v1/notifications", { params: { query: { per_page: 20 } } }));
      setItems(page.items);
      setError(null);
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  useEffect(() => {
    if (open) void load();
  }, [open]);
  useNotifications(() => {
    if (open) void load();
  });
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") {
        setOpen(false);
        button.current?.focus();
      }
    };
    addEventListener("keydown", onKey);
    return () => removeEventListener("keydown", onKey);
  }, [open]);

  const markRead = async (body: { ids: number[] } | { all: true }) => {
    try {
      await unwrap(api.POST("/api/v1/notifications/read", { body }));
      await Promise.all([load(), reload()]);
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const follow = (event: MouseEvent, item: Notification, href: string) => {
    event.preventDefault();
    setOpen(false);
    if (!item.read_at) void markRead({ ids: [item.id] });
    navigate(href);
  };

  return (
    <div class="notifications">
      <button
        ref={button}
        class="link"
        aria-expanded={open}
        aria-controls="notifications-panel"
        onClick={() => setOpen(!open)}
      >
        <svg class="bell" viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
          <path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z" />
        </svg>
        <span class="label">Notifications</span>
        {unread > 0 && (
          <span class="count" aria-label={`, ${unread} unread`}>
            {unread}
          </span>
        )}
      </button>
      {open && (
        <section id="notifications-panel" class="panel" aria-label="Notifications">
          {error && <Alert>{describe(error)}</Alert>}
          {items === null ? (
            <p class="muted">Loading…</p>
          ) : items.length === 0 ? (
            <p class="empty">Nothing yet. You'll see here when you're grouped, get feedback or a reply.</p>
          ) : (
            <ul>
              {items.map((item) => {
                const { text, href } = describeNotification(item);
                return (
                  <li key={item.id} class={item.read_at ? "read" : "unread"}>
                    <a href={href} onClick={(event) => follow(event, item, href)}>
                      {!item.read_at && <span class="visually-hidden">Unread: </span>}
                      {text}
                    </a>
                    <span class="when">
                      {item.group_name ? `${item.group_name} · ` : ""}
                      {relativeTime(new Date(item.created_at), new Date())}
                    </span>
                  </li>
                );
              })}
            </ul>
          )}
          {unread > 0 && (
            <button class="link" onClick={() => void markRead({ all: true })}>
              Mark all read
            </button>
          )}
        </section>
      )}
    </div>
  );
}
