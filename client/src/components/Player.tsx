// A track's player, from the embed address the server built from the parsed link (never from HTML).
import type { FeedbackRequest } from "../lib/api";

type Track = Pick<FeedbackRequest, "media_url" | "media_type" | "embed_url" | "track">;

export function Player(props: { request: Track; label: string }) {
  const { media_url, media_type, embed_url } = props.request;
  if (!media_url) return null;
  if (embed_url && media_type === "dropbox") {
    return <audio class="player-audio" controls preload="none" src={embed_url} aria-label={`Play ${props.label}`} />;
  }
  if (embed_url) {
    const tall = media_type !== "soundcloud";
    return (
      <iframe
        class={tall ? "player tall" : "player"}
        src={embed_url}
        title={`Player: ${props.label}`}
        loading="lazy"
        allow="autoplay; encrypted-media"
        referrerpolicy="no-referrer"
      />
    );
  }
  return (
    <a href={media_url} target="_blank" rel="noopener noreferrer">
      Open {props.label} ({media_type ?? "link"})
    </a>
  );
}
