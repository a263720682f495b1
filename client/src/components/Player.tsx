// A track's player, from the embed address the server built from the parsed link (never from HTML),
// with the track's title when known and a link to open it on its own service (for when the embed
// does not play: a private link the player cannot read, a blocked third-party frame).
import { useEffect, useRef } from "preact/hooks";
import type { FeedbackRequest, Schemas } from "../lib/api";
import { soundCloudBridge } from "../lib/soundcloud";

/** What a page may do with a player: read its position (where the player can tell it) and seek. */
export interface PlayerControl {
  canTell: boolean;
  position(): Promise<number | null>;
  seek(seconds: number): void;
}

interface Listening {
  onControl?: ((control: PlayerControl | null) => void) | undefined;
  onPosition?: ((seconds: number) => void) | undefined;
}

type Track = Pick<FeedbackRequest, "media_url" | "media_type" | "embed_url" | "track">;

export const SERVICES: Record<Schemas["MediaType"], string> = {
  soundcloud: "SoundCloud",
  google_drive: "Google Drive",
  dropbox: "Dropbox",
  onedrive: "OneDrive",
};

function Embed(props: { request: Track; label: string } & Listening) {
  const { media_type, embed_url } = props.request;
  const audio = useRef<HTMLAudioElement>(null);
  const frame = useRef<HTMLIFrameElement>(null);
  useEffect(() => {
    const { onControl, onPosition } = props;
    if (media_type === "dropbox" && audio.current) {
      const element = audio.current;
      const update = () => onPosition?.(Math.floor(element.currentTime));
      element.addEventListener("timeupdate", update);
      onControl?.({
        canTell: true,
        position: async () => Math.floor(element.currentTime),
        seek: (seconds) => {
          element.currentTime = seconds;
          update();
        },
      });
      return () => {
        element.removeEventListener("timeupdate", update);
        onControl?.(null);
      };
    }
    if (media_type === "soundcloud" && frame.current) {
      const bridge = soundCloudBridge(frame.current, onPosition);
      onControl?.({ canTell: true, position: bridge.ask, seek: bridge.seek });
      return () => {
        bridge.close();
        onControl?.(null);
      };
    }
    // Drive and OneDrive players keep their position to themselves: the reviewer types the time.
    onControl?.({ canTell: false, position: async () => null, seek: () => {} });
    return () => onControl?.(null);
  }, [embed_url]);
  if (!embed_url) return null;
  if (media_type === "dropbox") {
    return <audio ref={audio} class="player-audio" controls preload="none" src={embed_url} aria-label={`Play ${props.label}`} />;
  }
  return (
    <iframe
      ref={frame}
      class={media_type !== "soundcloud" ? "player tall" : "player"}
      src={embed_url}
      title={`Player: ${props.label}`}
      loading="lazy"
      allow="autoplay; encrypted-media"
      referrerpolicy="no-referrer"
    />
  );
}

export function Player(props: { request: Track; label: string; showTitle?: boolean } & Listening) {
  const { media_url, media_type, track } = props.request;
  if (!media_url) return null;
  const service = media_type ? SERVICES[media_type] : "its site";
  return (
    <div class="player-box">
      <Embed request={props.request} label={props.label} onControl={props.onControl} onPosition={props.onPosition} />
      <p class="player-links">
        {track?.title && props.showTitle !== false && <span class="track-title">{track.title}</span>}
        <a href={media_url} target="_blank" rel="noopener noreferrer">
          Open on {service}
          <span class="visually-hidden"> (opens in a new tab)</span> ↗
        </a>
      </p>
    </div>
  );
}
