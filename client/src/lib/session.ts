// The signed-in user, shared by every page: refreshed when a live notification arrives, and by
// polling /me with its ETag (the fallback when the stream cannot be held open).
import { createContext } from "preact";
import { useCallback, useContext, useEffect, useRef, useState } from "preact/hooks";
import { SESSION_ENDED, api, type User } from "./api";
import { connectLive } from "./live";

export interface Session {
  user: User | null | undefined; // undefined while the first answer is on its way
  reload: () => Promise<void>;
  setUser: (user: User | null) => void;
}

export const SessionContext = createContext<Session>({ user: undefined, reload: async () => {}, setUser: () => {} });
export const useSession = () => useContext(SessionContext);

const POLL_MS = 30_000;

export function useSessionState(): Session {
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const etag = useRef<string | null>(null);

  const reload = useCallback(async () => {
    try {
      const headers: Record<string, string> = etag.current ? { "If-None-Match": etag.current } : {};
      const { data, response } = await api.GET("/api/v1/me", { headers });
      if (response.status === 304) return;
      if (response.ok && data) {
        etag.current = response.headers.get("ETag");
        setUser(data.user);
      } else if (response.status === 401) {
        etag.current = null;
        setUser(null);
      }
    } catch {
      // Offline for a moment: keep what we have and try again on the next tick.
    }
  }, []);

  useEffect(() => {
    void reload();
    const timer = setInterval(() => void reload(), POLL_MS);
    const onFocus = () => void reload();
    const onEnded = () => setUser(null);
    addEventListener("focus", onFocus);
    addEventListener(SESSION_ENDED, onEnded);
    return () => {
      clearInterval(timer);
      removeEventListener("focus", onFocus);
      removeEventListener(SESSION_ENDED, onEnded);
    };
  }, [reload]);

  // One live stream while signed in. When the server ends it (a refreshed or ended session), /me
  // says which: still signed in reopens it (`generation`), signed out shows the sign-in page.
  const [generation, setGeneration] = useState(0);
  const userId = user?.id;
  useEffect(() => {
    if (userId === undefined) return;
    return connectLive(
      () => void reload(),
      () => void reload().then(() => setTimeout(() => setGeneration((n) => n + 1), 2000)),
    );
  }, [userId, generation, reload]);

  const set = useCallback((next: User | null) => {
    etag.current = null;
    setUser(next);
  }, []);
  return { user, reload, setUser: set };
}
