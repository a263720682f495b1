// Feedback drafts survive a reload: kept in localStorage per response (or per track, for extra
// feedback), cleared once sent.
export interface DraftStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

type DraftId = number | string;
const key = (id: DraftId) => `hmt:draft:${id}`;

export function loadDraft(store: DraftStore, responseId: DraftId): string {
  return store.getItem(key(responseId)) ?? "";
}

export function saveDraft(store: DraftStore, responseId: DraftId, text: string): void {
  if (text.trim()) store.setItem(key(responseId), text);
  else store.removeItem(key(responseId));
}

export function clearDraft(store: DraftStore, responseId: DraftId): void {
  store.removeItem(key(responseId));
}
