// Until the address is confirmed: a banner saying where the link went, with "send it again".
import { useState } from "preact/hooks";
import { api, unwrap } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { useSession } from "../lib/session";

export function VerificationBanner() {
  const { user } = useSession();
  const [said, setSaid] = useState<string | null>(null);
  if (!user || user.email_verified) return null;
  const resend = async () => {
    try {
      await unwrap(api.POST("/api/v1/me/verification-email"));
      setSaid("Sent. Check your inbox (and the spam folder).");
    } catch (caught) {
      setSaid(describe(asApiError(caught)));
    }
  };
  return (
    <div class="banner" role="region" aria-label="Confirm your email">
      <p>
        Please confirm <strong>{user.email}</strong>: we emailed you a link. Until then we send you no group emails.{" "}
        <button class="link" onClick={() => void resend()}>
          Send the link again
        </button>
      </p>
      {said && <p role="status">{said}</p>}
    </div>
  );
}
