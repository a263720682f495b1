// Compiled by `make test` (tsc --strict): the generated API types accept the partial bodies a
// client naturally sends, and name the shared enums once.
import type { components, operations } from "./schema";

type Schemas = components["schemas"];

export const makeTrackless: Schemas["FeedbackRequestUpdate"] = { media_url: null };
export const newPrompt: Schemas["FeedbackRequestUpdate"] = { feedback_prompt: "Does the drop land?" };
export const newGenre: Schemas["FeedbackRequestUpdate"] = { genre: "jazz" };
export const remindersOff: Schemas["MeUpdate"] = { send_reminder_emails: false };
export const trackless: Schemas["FeedbackRequestCreate"] = {};

export const genre: Schemas["GenreKey"] = "rock_metal_punk";
export const mediaType: Schemas["MediaType"] = "soundcloud";
export const code: Schemas["ErrorCode"] = "rate_first";

type PatchBody = NonNullable<operations["updateFeedbackRequest"]["requestBody"]>["content"]["application/json"];
export const patch: PatchBody = { email_when_grouped: true };

type Conflict = operations["createReply"]["responses"][409]["content"]["application/json"];
export function isClosed(answer: Conflict): boolean {
  return answer.error.code === "replies_closed";
}
