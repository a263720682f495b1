// Typed calls to the JSON API (types generated from /openapi.json: src/api/schema.d.ts).
import createClient from "openapi-fetch";
import type { components, paths } from "../api/schema";

export type Schemas = components["schemas"];
export type User = Schemas["UserOut"];
export type Group = Schemas["GroupOut"];
export type GroupSummary = Schemas["GroupSummary"];
export type FeedbackRequest = Schemas["RequestOut"];
export type Response = Schemas["ResponseOut"];
export type Reply = Schemas["ReplyOut"];
export type ErrorCode = Schemas["ErrorCode"];

// Same origin: the JWT cookie goes along, and the browser adds the Origin header writes need.
export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });

export const SESSION_ENDED = "hmt:session-ended";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "network_error",
    message: string,
    readonly fields: Record<string, string> = {},
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

type Answer<T> = { data?: T; error?: unknown; response: globalThis.Response };

/** The data of a successful answer, or an ApiError carrying the contract's error code. */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch {
    throw new ApiError(0, "network_error", "The service cannot be reached. Check your connection and try again.");
  }
  const { data, error, response } = answer;
  if (response.ok) return data as T;
  if (response.status === 401 && !response.url.includes("/auth/")) {
    // The session ended (expired, signed out elsewhere, password changed): back to sign-in.
    dispatchEvent(new Event(SESSION_ENDED));
  }
  const detail = (error as { error?: { code?: ErrorCode; message?: string; fields?: Record<string, string> } })?.error;
  const retry = Number(response.headers.get("Retry-After"));
  throw new ApiError(
    response.status,
    detail?.code ?? "internal_error",
    detail?.message ?? "Something went wrong.",
    detail?.fields ?? {},
    Number.isFinite(retry) && retry > 0 ? retry : null,
  );
}
