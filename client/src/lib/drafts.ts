// Feedback drafts survive a reload: kept in localStorage per response, cleared once sent.
export interface DraftStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const key = (responseId: number) => `hmt:draft:${responseId}`;

export function loadDraft(store: DraftStore, responseId: number): string {
  return store.getItem(key(responseId)) ?? "";
}

export function saveDraft(store: DraftStore, responseId: number, text: string): void {
  if (text.trim()) store.setItem(key(responseId), text);
  else store.removeItem(key(responseId));
}

export function clearDraft(store: DraftStore, responseId: number): void {
  store.removeItem(key(responseId));
}
