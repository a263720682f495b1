// The shell: header with the notification count, then the page the address names.
import { useEffect, useRef } from "preact/hooks";
import { api } from "./lib/api";
import { navigate, useRoute, type Route } from "./lib/router";
import { SessionContext, useSession, useSessionState } from "./lib/session";
import { Account } from "./pages/Account";
import { Admin } from "./pages/admin/Admin";
import { AccountDeleted, ForgotPassword, ResetPassword, SignIn, SignUp, VerifyEmail } from "./pages/auth";
import { Group } from "./pages/Group";
import { Home } from "./pages/Home";
import { Landing } from "./pages/Landing";
import { NeedYou } from "./pages/NeedYou";
import { Progress } from "./pages/Progress";
import { NotificationsButton } from "./components/Notifications";
import { VerificationBanner } from "./components/VerificationBanner";
import { Link, Loading, Page } from "./components/ui";

const PUBLIC_PAGES = new Set<Route["page"]>([
  "about",
  "sign-in",
  "sign-up",
  "forgot-password",
  "reset-password",
  "verify-email",
  "account-deleted",
  "not-found",
]);

function Header(props: { route: Route }) {
  const { user, setUser } = useSession();
  const signOut = async () => {
    await api.POST("/api/v1/auth/logout").catch(() => null);
    setUser(null);
    navigate("/sign-in", true);
  };
  return (
    <header class="site-header">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Link href="/" class="brand">
        <span class="brand-long">How's My Track?</span>
        <span class="brand-short" aria-hidden="true">HMT?</span>
      </Link>
      {user === null && (
        <nav aria-label="Main">
          <Link href="/about" aria-current={props.route.page === "about" ? "page" : undefined}>
            How it works
          </Link>
          <Link href="/sign-in" aria-current={props.route.page === "sign-in" ? "page" : undefined}>
            Sign in
          </Link>
        </nav>
      )}
      {user && (
        <nav aria-label="Main">
          <Link href="/" aria-current={props.route.page === "home" ? "page" : undefined}>
            Groups
          </Link>
          <Link href="/need-you" aria-current={props.route.page === "need-you" ? "page" : undefined}>
            Need you
          </Link>
          <Link href="/progress" aria-current={props.route.page === "progress" ? "page" : undefined}>
            Progress
          </Link>
          <NotificationsButton />
          <Link href="/account" aria-current={props.route.page === "account" ? "page" : undefined}>
            Account
          </Link>
          {user.is_admin && (
            <Link href="/admin" aria-current={props.route.page === "admin" ? "page" : undefined}>
              Admin
            </Link>
          )}
          <button class="link" onClick={signOut}>
            Sign out
          </button>
        </nav>
      )}
    </header>
  );
}

function Current(props: { route: Route }) {
  const { user } = useSession();
  const { route } = props;
  // The front page is public: signed out, it describes the service; signed in, it is your groups.
  const needsUser = !PUBLIC_PAGES.has(route.page) && route.page !== "home";
  // A session that ends mid-visit (signed out elsewhere, banned) leads to sign-in, even from the
  // front page, which is public: the sign-in page says why.
  const wasSignedIn = useRef(false);
  useEffect(() => {
    const ended = wasSignedIn.current && user === null && route.page === "home";
    wasSignedIn.current = Boolean(user);
    if (ended) navigate("/sign-in", true);
    if (needsUser && user === null) {
      navigate(`/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    }
    if (user && (route.page === "sign-in" || route.page === "sign-up")) navigate("/", true);
  }, [needsUser, user, route.page]);
  if ((needsUser || route.page === "home") && user === undefined) {
    return <Page title="How's My Track?"><Loading what="your account" /></Page>;
  }
  if (needsUser && !user) return null;
  switch (route.page) {
    case "home":
      return user ? <Home /> : <Landing />;
    case "about":
      return <Landing />;
    case "sign-in":
      return <SignIn next={route.next} />;
    case "sign-up":
      return <SignUp />;
    case "forgot-password":
      return <ForgotPassword />;
    case "reset-password":
      return <ResetPassword token={route.token} />;
    case "group":
      return <Group id={route.id} />;
    case "account":
      return <Account />;
    case "need-you":
      return <NeedYou />;
    case "progress":
      return <Progress />;
    case "verify-email":
      return <VerifyEmail token={route.token} />;
    case "account-deleted":
      return <AccountDeleted />;
    case "admin":
      return <Admin section={route.section} id={route.id} />;
    default:
      return (
        <Page title="Page not found">
          <p>
            There is nothing at this address. <Link href="/">Go to your groups</Link>.
          </p>
        </Page>
      );
  }
}

export function App() {
  const session = useSessionState();
  const route = useRoute();
  return (
    <SessionContext.Provider value={session}>
      <Header route={route} />
      <VerificationBanner />
      <Current route={route} />
      <footer class="site-footer">
        <p>
          Reviewers stay anonymous. Be kind, be specific. · <Link href="/about">How it works &amp; FAQ</Link>
        </p>
      </footer>
    </SessionContext.Provider>
  );
}
