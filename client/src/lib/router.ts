// A small history router: paths to pages, links that do not reload, and a redirect back after sign-in.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { page: "home" }
  | { page: "about" }
  | { page: "sign-in"; next: string | null }
  | { page: "sign-up" }
  | { page: "forgot-password" }
  | { page: "reset-password"; token: string }
  | { page: "group"; id: number }
  | { page: "account" }
  | { page: "need-you" }
  | { page: "progress" }
  | { page: "verify-email"; token: string }
  | { page: "account-deleted" }
  | { page: "admin"; section: AdminSection; id: number | null }
  | { page: "not-found" };

export const ADMIN_SECTIONS = ["reports", "users", "requests", "groups", "job-runs", "audit-log", "stats"] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];
const WITH_DETAIL = new Set<AdminSection>(["reports", "users", "groups"]);

export function match(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  if (pathname === "/" || pathname === "") return { page: "home" };
  if (pathname === "/about") return { page: "about" };
  if (pathname === "/sign-in") return { page: "sign-in", next: safeNext(params.get("next")) };
  if (pathname === "/sign-up") return { page: "sign-up" };
  if (pathname === "/forgot-password") return { page: "forgot-password" };
  if (pathname === "/reset-password") return { page: "reset-password", token: params.get("token") ?? "" };
  if (pathname === "/account") return { page: "account" };
  if (pathname === "/need-you") return { page: "need-you" };
  if (pathname === "/progress") return { page: "progress" };
  if (pathname === "/verify-email") return { page: "verify-email", token: params.get("token") ?? "" };
  if (pathname === "/account-deleted") return { page: "account-deleted" };
  if (pathname === "/admin") return { page: "admin", section: "reports", id: null };
  const admin = /^\/admin\/([a-z-]+)(?:\/(\d{1,10}))?$/.exec(pathname);
  const section = ADMIN_SECTIONS.find((name) => name === admin?.[1]);
  if (admin && section && (!admin[2] || WITH_DETAIL.has(section))) {
    return { page: "admin", section, id: admin[2] ? Number(admin[2]) : null };
  }
  const group = /^\/groups\/(\d{1,10})$/.exec(pathname);
  if (group?.[1]) return { page: "group", id: Number(group[1]) };
  return { page: "not-found" };
}

/** Only paths of this site may be returned to after signing in. */
export function safeNext(next: string | null): string | null {
  return next && next.startsWith("/") && !next.startsWith("//") ? next : null;
}

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  dispatchEvent(new PopStateEvent("popstate"));
  window.scrollTo(0, 0);
}

export function useRoute(): Route {
  const read = () => match(location.pathname, location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    addEventListener("popstate", update);
    return () => removeEventListener("popstate", update);
  }, []);
  return route;
}
