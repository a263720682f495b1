// The account: standing, email (changed through a confirmation link), reminder emails, password,
// the data export, and deleting the account.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, unwrap } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError } from "../lib/forms";
import { navigate } from "../lib/router";
import { useSession } from "../lib/session";
import { Standing } from "../components/Standing";
import { shortDate } from "../lib/time";
import { Alert, Field, Link, Page } from "../components/ui";

export function Account() {
  const { user, setUser, reload } = useSession();
  const [email, setEmail] = useState(user?.email ?? "");
  const [emailPassword, setEmailPassword] = useState("");
  const [leavingPassword, setLeavingPassword] = useState("");
  const [sure, setSure] = useState(false);
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  // Strike notifications lead here: visiting the page reads them.
  useEffect(() => {
    void (async () => {
      const unread = await unwrap(api.GET("/api/v1/notifications", { params: { query: { unread: true, per_page: 100 } } })).catch(() => null);
      const strikes = unread?.items.filter((item) => item.kind === "strike").map((item) => item.id) ?? [];
      if (!strikes.length) return;
      await unwrap(api.POST("/api/v1/notifications/read", { body: { ids: strikes } })).catch(() => null);
      await reload();
    })();
  }, []);
  if (!user) return null;

  const act = (work: () => Promise<string>) => async (event: Event) => {
    event.preventDefault();
    setError(null);
    setNotice(null);
    try {
      setNotice(await work());
    } catch (caught) {
      setError(asApiError(caught));
    }
  };
  const saveEmail = act(async () => {
    const answer = await unwrap(api.PATCH("/api/v1/me", { body: { email, current_password: emailPassword } }));
    setUser(answer.user);
    setEmailPassword("");
    return answer.user.pending_email
      ? `We emailed a link to ${answer.user.pending_email}. Your address changes once you follow it.`
      : "Email unchanged.";
  });
  const download = act(async () => {
    const document_ = await unwrap(api.GET("/api/v1/me/export"));
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(document_, null, 2)], { type: "application/json" }));
    link.download = "howsmytrack-export.json";
    link.click();
    URL.revokeObjectURL(link.href);
    return "Your data is downloaded.";
  });
  const deleteAccount = act(async () => {
    await unwrap(api.DELETE("/api/v1/me", { body: { password: leavingPassword } }));
    setUser(null);
    navigate("/account-deleted", true);
    return "";
  });
  const toggleReminders = act(async () => {
    const answer = await unwrap(api.PATCH("/api/v1/me", { body: { send_reminder_emails: !user.send_reminder_emails } }));
    setUser(answer.user);
    return answer.user.send_reminder_emails ? "Reminder emails are on." : "Reminder emails are off.";
  });
  const changePassword = act(async () => {
    await unwrap(api.PUT("/api/v1/me/password", { body: { current_password: current, new_password: next } }));
    setCurrent("");
    setNext("");
    return "Password changed. Your other sessions have ended.";
  });
  return (
    <Page title="Your account" narrow>
      {notice && <Alert kind="success">{notice}</Alert>}
      {error && <Alert>{describe(error)}</Alert>}
      <section class="card stack" aria-labelledby="standing-heading">
        <h2 id="standing-heading">Your standing</h2>
        <Standing user={user} withLink />
        {user.standing.strikes.length === 0 ? (
          <p>No strikes: you have written everything you owed on time.</p>
        ) : (
          <>
            <ul class="strikes">
              {user.standing.strikes.map((strike) => (
                <li key={strike.group_id}>
                  {strike.kind === "no_show" ? "Missed" : "Partly missed"} the deadline of{" "}
                  <Link href={`/groups/${strike.group_id}`}>group #{strike.group_id}</Link> · expires {shortDate(strike.expires_at)}
                </li>
              ))}
            </ul>
            {!user.standing.may_submit_tracks && (
              <Alert kind="info">With two strikes you can't submit a track for now, but you can still join a group to give feedback.</Alert>
            )}
            <p class="hint">{user.standing.how_to_clear}</p>
          </>
        )}
      </section>
      <form class="card stack" onSubmit={saveEmail} aria-labelledby="email-heading">
        <h2 id="email-heading">Email</h2>
        {user.pending_email && (
          <p class="hint">
            Waiting for you to confirm <strong>{user.pending_email}</strong> through the link we emailed it; until then
            you sign in with {user.email}.
          </p>
        )}
        <Field id="account-email" label="Email" type="email" autoComplete="email" required value={email} error={error?.fields["email"]} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field id="email-password" label="Current password" type="password" autoComplete="current-password" required value={emailPassword} error={error?.fields["current_password"] && `This ${error.fields["current_password"]}.`} onInput={(e) => setEmailPassword(e.currentTarget.value)} />
        <button>Change email</button>
      </form>
      <form class="card stack" onSubmit={toggleReminders} aria-labelledby="reminders-heading">
        <h2 id="reminders-heading">Reminders</h2>
        <p>{user.send_reminder_emails ? "We email you when your group is waiting for your feedback." : "We don't send you reminder emails."}</p>
        <button>{user.send_reminder_emails ? "Turn reminder emails off" : "Turn reminder emails on"}</button>
      </form>
      <form class="card stack" onSubmit={changePassword} aria-labelledby="password-heading">
        <h2 id="password-heading">Password</h2>
        <Field id="current-password" label="Current password" type="password" autoComplete="current-password" required value={current} error={error?.fields["current_password"] && `This ${error.fields["current_password"]}.`} onInput={(e) => setCurrent(e.currentTarget.value)} />
        <Field id="new-password" label="New password" type="password" autoComplete="new-password" required minLength={8} value={next} error={error?.fields["new_password"] && `Password ${error.fields["new_password"]}.`} onInput={(e) => setNext(e.currentTarget.value)} />
        <button>Change password</button>
      </form>
      <form class="card stack" onSubmit={download} aria-labelledby="export-heading">
        <h2 id="export-heading">Your data</h2>
        <p>Everything we hold about you (requests, feedback written and received, replies, notifications) as one file.</p>
        <button>Download my data</button>
      </form>
      <form class="card stack danger-zone" onSubmit={deleteAccount} aria-labelledby="delete-heading">
        <h2 id="delete-heading">Delete your account</h2>
        <p>
          Your email and password are erased and you are signed out everywhere. Feedback you wrote stays, anonymous;
          feedback you still owe is dropped so nobody waits for you. This cannot be undone.
        </p>
        <Field id="delete-password" label="Your password" type="password" autoComplete="current-password" required value={leavingPassword} error={error?.fields["password"] && `This ${error.fields["password"]}.`} onInput={(e) => setLeavingPassword(e.currentTarget.value)} />
        <label class="check">
          <input type="checkbox" checked={sure} onChange={(e) => setSure(e.currentTarget.checked)} /> I understand my account cannot be restored
        </label>
        <button class="danger" disabled={!sure}>
          Delete my account
        </button>
      </form>
    </Page>
  );
}
