import { describe as group, expect, it } from "vitest";
import { clearDraft, loadDraft, saveDraft, type DraftStore } from "./drafts";
import { ApiError } from "./api";
import { describe, waitText } from "./errors";
import { asApiError } from "./forms";
import { match, safeNext } from "./router";
import { describeNotification, type Notification } from "./live";
import { countdown, relativeTime } from "./time";
import { clock, parseClock, span, wordCount } from "./moments";

class MemoryStore implements DraftStore {
  items = new Map<string, string>();
  getItem(key: string) {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string) {
    this.items.set(key, value);
  }
  removeItem(key: string) {
    this.items.delete(key);
  }
}

group("router", () => {
  it("maps the addresses emails link to", () => {
    expect(match("/groups/42", "")).toEqual({ page: "group", id: 42 });
    expect(match("/reset-password", "?token=abc")).toEqual({ page: "reset-password", token: "abc" });
    expect(match("/groups/abc", "")).toEqual({ page: "not-found" });
    expect(match("/", "")).toEqual({ page: "home" });
    expect(match("/need-you", "")).toEqual({ page: "need-you" });
    expect(match("/admin", "")).toEqual({ page: "admin", section: "reports", id: null });
    expect(match("/admin/users/7", "")).toEqual({ page: "admin", section: "users", id: 7 });
    expect(match("/admin/stats", "")).toEqual({ page: "admin", section: "stats", id: null });
    expect(match("/admin/stats/7", "")).toEqual({ page: "not-found" });
    expect(match("/admin/secrets", "")).toEqual({ page: "not-found" });
    expect(match("/verify-email", "?token=t1")).toEqual({ page: "verify-email", token: "t1" });
  });
  it("returns after sign-in only to paths of this site", () => {
    expect(safeNext("/groups/3")).toBe("/groups/3");
    expect(safeNext("//evil.example/x")).toBeNull();
    expect(safeNext("https://evil.example")).toBeNull();
    expect(match("/sign-in", "?next=%2F%2Fevil.example")).toEqual({ page: "sign-in", next: null });
  });
});

group("countdown", () => {
  const now = new Date("2026-12-01T20:00:00Z");
  it("counts hours and minutes, then minutes and seconds", () => {
    expect(countdown(new Date("2026-12-02T02:30:00Z"), now)).toBe("in 6 h 30 min");
    expect(countdown(new Date("2026-12-01T20:04:05Z"), now)).toBe("in 4 min 05 s");
    expect(countdown(new Date("2026-12-01T19:59:00Z"), now)).toBe("any moment now");
    expect(countdown(new Date("2026-12-04T22:00:00Z"), now)).toBe("in 3 days 2 h");
  });
});

group("drafts", () => {
  it("keep text per response until it is sent", () => {
    const store = new MemoryStore();
    saveDraft(store, 7, "The kick is buried");
    expect(loadDraft(store, 7)).toBe("The kick is buried");
    expect(loadDraft(store, 8)).toBe("");
    saveDraft(store, 7, "   ");
    expect(loadDraft(store, 7)).toBe("");
    saveDraft(store, 7, "again");
    clearDraft(store, 7);
    expect(store.items.size).toBe(0);
  });
});

group("error messages", () => {
  it("say how long to wait when rate limited", () => {
    expect(describe({ code: "rate_limited", message: "", retryAfter: 51 })).toBe("Too many attempts. Try again in 51 seconds.");
    expect(waitText(901)).toBe("16 minutes");
  });
  it("explain every code a form can meet, and fall back to the server's sentence", () => {
    expect(describe({ code: "email_taken", message: "x", retryAfter: null })).toContain("already exists");
    expect(describe({ code: "not_found", message: "There is nothing here.", retryAfter: null })).toBe("There is nothing here.");
  });
});

group("form errors", () => {
  it("keep the API's error and turn anything else into one, so nothing fails silently", () => {
    const api = new ApiError(409, "email_taken", "taken");
    expect(asApiError(api)).toBe(api);
    const bug = asApiError(new TypeError("x is undefined"));
    expect(bug.code).toBe("internal_error");
    expect(bug.message).toContain("x is undefined");
  });
});

group("notifications", () => {
  const base: Notification = {
    id: 1, kind: "grouped", group_id: 7, request_id: 3, response_id: null, count: null,
    created_at: "2026-12-01T10:00:00Z", read_at: null, group_name: null, track_title: null,
  };
  it("link each kind to where it happened", () => {
    expect(describeNotification(base).href).toBe("/groups/7");
    expect(describeNotification({ ...base, kind: "request_withdrawn", group_id: null }).href).toBe("/");
  });
  it("say locked feedback is a count, and readable feedback is ready", () => {
    const locked = describeNotification({ ...base, kind: "feedback_received", count: 2 });
    expect(locked.text).toContain("2 pieces so far");
    expect(describeNotification({ ...base, kind: "feedback_received", count: 1, response_id: 9 }).text).toContain("ready to read");
  });
  it("read sensibly for kinds this client does not know", () => {
    const future = { ...base, kind: "moderation_outcome" } as unknown as Notification;
    expect(describeNotification(future)).toEqual({ text: "Something happened in your account.", href: "/groups/7" });
  });
  it("name the member's own track when known", () => {
    const named = { ...base, kind: "feedback_received" as const, count: 1, group_name: "Feedback Group #7 - Pop", track_title: "Night Drive" };
    expect(describeNotification(named).text).toBe("New feedback on “Night Drive” (1 piece so far); write yours to unlock it.");
    expect(describeNotification({ ...base, track_title: "Night Drive" }).text).toContain("“Night Drive” is in a new group.");
    expect(describeNotification(base).text).toContain("Your track is in a new group.");
  });
  it("send a strike to the account page", () => {
    expect(describeNotification({ ...base, kind: "strike" }).href).toBe("/account");
  });
  it("tell their age", () => {
    const now = new Date("2026-12-01T12:00:00Z");
    expect(relativeTime(new Date("2026-12-01T11:59:30Z"), now)).toBe("just now");
    expect(relativeTime(new Date("2026-12-01T11:15:00Z"), now)).toBe("45 min ago");
    expect(relativeTime(new Date("2026-11-29T12:00:00Z"), now)).toBe("2 days ago");
  });
});

group("moments", () => {
  it("writes and reads m:ss", () => {
    expect(clock(83)).toBe("1:23");
    expect(clock(5.9)).toBe("0:05");
    expect(span({ at_s: 65, to_s: 80 })).toBe("1:05–1:20");
    expect(parseClock(" 1:23 ")).toBe(83);
    expect(parseClock("83")).toBe(83);
    expect(parseClock("1:75")).toBeNull();
    expect(parseClock("abc")).toBeNull();
  });
  it("counts words as the effort gate does", () => {
    expect(wordCount(["Nice drop, at 1:23!", "   ", "ça va"])).toBe(7);
  });
});
