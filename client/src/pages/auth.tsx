// Sign in, sign up, forgotten password and its reset link, the email confirmation link, goodbye.
import { useEffect, useState } from "preact/hooks";
import { ApiError, api, unwrap } from "../lib/api";
import { describe } from "../lib/errors";
import { asApiError, useSubmit } from "../lib/forms";
import { navigate } from "../lib/router";
import { useSession } from "../lib/session";
import { Alert, Field, Link, Page } from "../components/ui";

/** A new password's field, with the rules stated up front and the server's reason when it refuses one. */
function NewPassword(props: { id: string; label: string; value: string; problem: string | undefined; onChange: (value: string) => void }) {
  return (
    <Field
      id={props.id}
      label={props.label}
      type="password"
      autoComplete="new-password"
      required
      minLength={8}
      hint="At least 8 characters, not only digits, not a common password."
      value={props.value}
      error={props.problem && `Password ${props.problem}.`}
      onInput={(e) => props.onChange(e.currentTarget.value)}
    />
  );
}

export function SignIn(props: { next: string | null }) {
  const { setUser } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(
    () => unwrap(api.POST("/api/v1/auth/login", { body: { email, password } })),
    (answer) => {
      setUser(answer.user);
      navigate(props.next ?? "/", true);
    },
  );
  return (
    <Page title="Sign in" narrow>
      {props.next && !error && <Alert kind="info">Sign in to continue where you were.</Alert>}
      {error && <Alert>{describe(error)}</Alert>}
      <form onSubmit={submit} class="stack">
        <Field id="email" label="Email" type="email" autoComplete="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        <Field id="password" label="Password" type="password" autoComplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        <button class="primary" disabled={busy}>{busy ? "Signing in…" : "Sign in"}</button>
      </form>
      <p class="aside">
        <Link href="/forgot-password">Forgot your password?</Link> · New here? <Link href="/sign-up">Create an account</Link>
      </p>
    </Page>
  );
}

export function SignUp() {
  const { setUser } = useSession();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const { busy, error, submit } = useSubmit(
    () => unwrap(api.POST("/api/v1/auth/register", { body: { email, password } })),
    (answer) => {
      setUser(answer.user);
      navigate("/", true);
    },
  );
  return (
    <Page title="Create your account" narrow>
      <p class="lead">Share an unfinished track, write feedback for three other musicians, and read theirs on yours.</p>
      {error && <Alert>{describe(error)}</Alert>}
      <form onSubmit={submit} class="stack">
        <Field id="email" label="Email" type="email" autoComplete="email" required value={email} error={error?.fields["email"]} onInput={(e) => setEmail(e.currentTarget.value)} />
        <NewPassword id="password" label="Password" value={password} problem={error?.fields["password"]} onChange={setPassword} />
        <button class="primary" disabled={busy}>{busy ? "Creating…" : "Create account"}</button>
      </form>
      <p class="aside">
        Have an account? <Link href="/sign-in">Sign in</Link>
      </p>
    </Page>
  );
}

export function ForgotPassword() {
  const [email, setEmail] = useState("");
  const [sent, setSent] = useState(false);
  const { busy, error, submit } = useSubmit(
    () => unwrap(api.POST("/api/v1/auth/password-reset", { body: { email } })),
    () => setSent(true),
  );
  return (
    <Page title="Reset your password" narrow>
      {sent ? (
        <Alert kind="success">If an account uses {email}, we have emailed it a link to choose a new password. The link works once, for an hour.</Alert>
      ) : (
        <>
          {error && <Alert>{describe(error)}</Alert>}
          <form onSubmit={submit} class="stack">
            <Field id="email" label="Email" type="email" autoComplete="email" required value={email} error={error?.fields["email"]} onInput={(e) => setEmail(e.currentTarget.value)} />
            <button class="primary" disabled={busy}>Email me a link</button>
          </form>
        </>
      )}
      <p class="aside">
        <Link href="/sign-in">Back to sign in</Link>
      </p>
    </Page>
  );
}

export function ResetPassword(props: { token: string }) {
  const [password, setPassword] = useState("");
  const [done, setDone] = useState(false);
  const { busy, error, submit } = useSubmit(
    () => unwrap(api.POST("/api/v1/auth/password-reset/confirm", { body: { token: props.token, password } })),
    () => setDone(true),
  );
  return (
    <Page title="Choose a new password" narrow>
      {done ? (
        <Alert kind="success">
          Your password is changed and every other session has ended. <Link href="/sign-in">Sign in</Link> with the new one.
        </Alert>
      ) : (
        <>
          {error && <Alert>{describe(error)}</Alert>}
          <form onSubmit={submit} class="stack">
            <NewPassword id="new-password" label="New password" value={password} problem={error?.fields["password"]} onChange={setPassword} />
            <button class="primary" disabled={busy || !props.token}>Set new password</button>
          </form>
        </>
      )}
    </Page>
  );
}

/** The page an email confirmation link opens: it spends the link at once and says what happened. */
export function VerifyEmail(props: { token: string }) {
  const { user, reload } = useSession();
  const [state, setState] = useState<"working" | "done" | ApiError>("working");
  useEffect(() => {
    unwrap(api.POST("/api/v1/auth/verify-email", { body: { token: props.token } }))
      .then(() => {
        setState("done");
        return reload();
      })
      .catch((caught: unknown) => setState(asApiError(caught)));
  }, [props.token]);
  return (
    <Page title="Confirm your email" narrow>
      {state === "working" && <p role="status">Confirming…</p>}
      {state instanceof ApiError && <Alert>{describe(state)}</Alert>}
      {state === "done" && <Alert kind="success">Your email address is confirmed.</Alert>}
      {state !== "working" && (
        <p>
          <Link href={user ? "/" : "/sign-in"}>{user ? "Go to your groups" : "Sign in"}</Link>
        </p>
      )}
    </Page>
  );
}

export function AccountDeleted() {
  return (
    <Page title="Your account is deleted" narrow>
      <p>
        Your email address and password are erased and your sessions have ended. The feedback you wrote stays with the
        tracks it was written for, linked to nobody. Thank you for listening.
      </p>
      <p>
        <Link href="/sign-up">Create a new account</Link>
      </p>
    </Page>
  );
}
