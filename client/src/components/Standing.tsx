// A member's own reviewer rating and where it puts them among reviewers (shown only to them).
import type { User } from "../lib/api";
import { ratingLabel } from "../lib/ratings";
import { Link } from "./ui";

export function Standing(props: { user: User | null | undefined; withLink?: boolean }) {
  const user = props.user;
  if (!user) return null;
  if (user.rating == null || user.rating_percentile == null) {
    return (
      <p class="rating-line">
        Nobody has rated your feedback yet. You start at the site's average
        {user.rating != null ? ` (${user.rating.toFixed(1)})` : ""}, so you are grouped with everyone, not with the least helpful.
      </p>
    );
  }
  return (
    <p class="rating-line">
      Your feedback is rated <strong>{user.rating.toFixed(1)}</strong> ({ratingLabel(user.rating)}), better than{" "}
      <strong>{user.rating_percentile} %</strong> of reviewers.
      <span class="hint"> Only you see this; it decides who you are grouped with.</span>
      {props.withLink && (
        <>
          {" "}
          <Link href="/progress">See your progress</Link>
        </>
      )}
    </p>
  );
}
