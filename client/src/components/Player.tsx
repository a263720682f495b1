// A track's player, from the embed address the server built from the parsed link (never from HTML),
// with the track's title when known and a link to open it on its own service (for when the embed
// does not play: a private link the player cannot read, a blocked third-party frame).
import type { FeedbackRequest, Schemas } from "../lib/api";

type Track = Pick<FeedbackRequest, "media_url" | "media_type" | "embed_url" | "track">;

export const SERVICES: Record<Schemas["MediaType"], string> = {
  soundcloud: "SoundCloud",
  google_drive: "Google Drive",
  dropbox: "Dropbox",
  onedrive: "OneDrive",
};

function Embed(props: { request: Track; label: string }) {
  const { media_type, embed_url } = props.request;
  if (!embed_url) return null;
  if (media_type === "dropbox") {
    return <audio class="player-audio" controls preload="none" src={embed_url} aria-label={`Play ${props.label}`} />;
  }
  return (
    <iframe
      class={media_type !== "soundcloud" ? "player tall" : "player"}
      src={embed_url}
      title={`Player: ${props.label}`}
      loading="lazy"
      allow="autoplay; encrypted-media"
      referrerpolicy="no-referrer"
    />
  );
}

export function Player(props: { request: Track; label: string; showTitle?: boolean }) {
  const { media_url, media_type, track } = props.request;
  if (!media_url) return null;
  const service = media_type ? SERVICES[media_type] : "its site";
  return (
    <div class="player-box">
      <Embed request={props.request} label={props.label} />
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
