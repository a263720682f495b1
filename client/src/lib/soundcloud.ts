// The SoundCloud player's position and seeking, through the Widget API's message protocol.
//
// SoundCloud's own `api.js` would have to be loaded from w.soundcloud.com, which the page's
// Content-Security-Policy (script-src 'self') does not allow, and should not: a third-party script
// runs with the page's session. The protocol it wraps is small and documented by its behaviour:
// the page posts JSON `{method, value}` to the player frame (`addEventListener` with an event name,
// `getPosition`, `seekTo` with milliseconds) and the frame posts back `{method, value}` (`ready`,
// `playProgress` with `{currentPosition}` in ms, and each getter's answer under its own name). So
// this module speaks it itself, only to and from the frame's own origin.

export interface SoundCloudBridge {
  /** The last position the player reported, in whole seconds (null until it has reported one). */
  position(): number | null;
  /** Ask the player for its position now. */
  ask(): Promise<number | null>;
  seek(seconds: number): void;
  close(): void;
}

type Message = { method?: string; value?: unknown };

function originOf(src: string): string {
  try {
    return new URL(src, location.href).origin;
  } catch {
    return "";
  }
}

export function soundCloudBridge(frame: HTMLIFrameElement, onPosition?: (seconds: number) => void): SoundCloudBridge {
  const origin = originOf(frame.src);
  let last: number | null = null;
  const waiting: ((seconds: number | null) => void)[] = [];
  const post = (method: string, value: unknown = null) =>
    frame.contentWindow?.postMessage(JSON.stringify({ method, value }), origin);
  const listen = () => {
    post("addEventListener", "playProgress");
    post("addEventListener", "seek");
  };
  const receive = (event: MessageEvent) => {
    if (event.source !== frame.contentWindow || event.origin !== origin || typeof event.data !== "string") return;
    let message: Message;
    try {
      message = JSON.parse(event.data) as Message;
    } catch {
      return;
    }
    if (message.method === "ready") return listen();
    const value = message.value as { currentPosition?: unknown } | number | undefined;
    const ms = typeof value === "number" ? value : typeof value?.currentPosition === "number" ? value.currentPosition : null;
    if (ms === null || !["playProgress", "seek", "getPosition"].includes(message.method ?? "")) return;
    last = Math.floor(ms / 1000);
    onPosition?.(last);
    if (message.method === "getPosition") waiting.splice(0).forEach((resolve) => resolve(last));
  };
  addEventListener("message", receive);
  listen(); // in case the player was ready before we listened
  return {
    position: () => last,
    ask: () =>
      new Promise((resolve) => {
        waiting.push(resolve);
        post("getPosition");
        setTimeout(() => {
          const index = waiting.indexOf(resolve);
          if (index >= 0) waiting.splice(index, 1).forEach((late) => late(last));
        }, 1000);
      }),
    seek: (seconds) => {
      post("seekTo", Math.max(0, seconds) * 1000);
      last = Math.floor(seconds);
      onPosition?.(last);
    },
    close: () => removeEventListener("message", receive),
  };
}
