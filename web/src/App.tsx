// Shell: session gate (sign-in / setup), header with who is signed in, role-aware nav, routes.
import { HashRouter, Navigate, Route, A, type RouteSectionProps } from "@solidjs/router";
import { Match, Show, Switch, createSignal, lazy, onMount, type JSX } from "solid-js";
import { eventsState } from "./api/events.ts";
import { ErrorNote } from "./components/ErrorNote.tsx";
import { SignIn } from "./pages/SignIn.tsx";
import { TeamPage } from "./pages/Team.tsx";
import { loadSession, logout, session } from "./stores/session.ts";
import { awaitingBroadcasts, loadBroadcasts } from "./stores/broadcasts.ts";
import type { Permission } from "../../shared/permissions.ts";

const SendPage = lazy(() => import("./pages/Send.tsx"));
const BroadcastPage = lazy(() => import("./pages/Broadcast.tsx"));
const AuditPage = lazy(() => import("./pages/Audit.tsx"));
const ApiKeysPage = lazy(() => import("./pages/ApiKeys.tsx"));
const UsersPage = lazy(() => import("./pages/Users.tsx"));
const HomePage = lazy(() => import("./pages/Home.tsx"));
const ConversationPage = lazy(() => import("./pages/Conversation.tsx"));
const ChangePasswordPage = lazy(() => import("./pages/ChangePassword.tsx"));

interface NavItem {
  href: string;
  label: string;
  perm: Permission | Permission[];
}
const NAV: NavItem[] = [
  { href: "/home", label: "Home", perm: [] },
  { href: "/team", label: "Team", perm: "teammates:read" },
  { href: "/send", label: "Send", perm: "send" },
  { href: "/broadcast", label: "Broadcast", perm: ["broadcast:create", "broadcast:confirm"] },
  { href: "/audit", label: "Audit", perm: "audit:read" },
  { href: "/keys", label: "API keys", perm: "keys:manage" },
  { href: "/users", label: "Users", perm: "users:manage" },
];

function allowed(p: Permission | Permission[]): boolean {
  if (Array.isArray(p) && !p.length) return true; // open to every signed-in role
  return Array.isArray(p) ? p.some((x) => session.can(x)) : session.can(p);
}

function Layout(props: RouteSectionProps) {
  const [busy, setBusy] = createSignal(false);
  // the nav badge counts broadcasts awaiting confirmation; the store stays live from events
  onMount(() => allowed(["broadcast:create", "broadcast:confirm"]) && void loadBroadcasts());
  return (
    <div class="app">
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById("main")?.focus(); }}>
        Skip to content
      </a>
      <header class="top">
        <div class="brand">Team Mesh</div>
        <nav aria-label="Main">
          {NAV.filter((n) => allowed(n.perm)).map((n) => (
            <A href={n.href} activeClass="active" aria-describedby={n.href === "/broadcast" && awaitingBroadcasts().length ? "nav-awaiting" : undefined}>
              {n.label}
              <Show when={n.href === "/broadcast" && awaitingBroadcasts().length}>
                {/* out of the link's name (it stays "Broadcast"); read as its description instead */}
                {(count) => (
                  <>
                    <span class="badge nav-badge" aria-hidden="true" title="Broadcasts awaiting confirmation">{count()}</span>
                    <span id="nav-awaiting" hidden>{count()} awaiting confirmation</span>
                  </>
                )}
              </Show>
            </A>
          ))}
          {/* Served by the server itself (Swagger UI over /api/v1/openapi.json), outside the SPA. */}
          <a href="/api/docs" target="_blank" rel="noopener">
            API
          </a>
        </nav>
        <div class="who">
          <span class={`live ${eventsState()}`} title={`Live updates: ${eventsState()}`} aria-label={`Live updates ${eventsState()}`} />
          <span>
            <strong>{session.me()?.name}</strong> <span class="role">{session.me()?.role}</span>
          </span>
          <button
            type="button"
            class="secondary small"
            disabled={busy()}
            onClick={async () => {
              setBusy(true);
              try {
                await logout();
              } finally {
                setBusy(false);
              }
            }}
          >
            Sign out
          </button>
        </div>
      </header>
      <Show when={eventsState() === "closed"}>
        <p class="banner warn" role="status">
          Live updates are disconnected; reconnecting… Pages still refresh when you act.
        </p>
      </Show>
      <main id="main" tabindex="-1">
        {props.children}
      </main>
    </div>
  );
}

function Guard(props: { perm: Permission | Permission[]; children: JSX.Element }) {
  return (
    <Show when={allowed(props.perm)} fallback={<p class="panel">Your role ({session.me()?.role}) cannot open this page.</p>}>
      {props.children}
    </Show>
  );
}

function Home() {
  return <Navigate href="/home" />;
}

export function App() {
  onMount(() => void loadSession());
  return (
    <Switch>
      <Match when={session.state() === "loading"}>
        <p class="center muted" role="status">
          Loading…
        </p>
      </Match>
      <Match when={session.state() === "error"}>
        <div class="center panel narrow">
          <h1>Team Mesh</h1>
          <ErrorNote error={session.loadError()} />
          <button type="button" onClick={() => void loadSession()}>
            Try again
          </button>
        </div>
      </Match>
      <Match when={session.state() === "signed-out"}>
        <SignIn />
      </Match>
      <Match when={session.state() === "must-change-password"}>
        <ChangePasswordPage />
      </Match>
      <Match when={session.state() === "signed-in"}>
        <HashRouter root={Layout}>
          <Route path="/" component={Home} />
          <Route path="/home" component={HomePage} />
          <Route path="/team/:name/conversation" component={() => <Guard perm={["send", "audit:read"]}><ConversationPage /></Guard>} />
          <Route path="/team" component={() => <Guard perm="teammates:read"><TeamPage /></Guard>} />
          <Route path="/send" component={() => <Guard perm="send"><SendPage /></Guard>} />
          <Route path="/broadcast/:id?" component={() => <Guard perm={["broadcast:create", "broadcast:confirm"]}><BroadcastPage /></Guard>} />
          <Route path="/audit" component={() => <Guard perm="audit:read"><AuditPage /></Guard>} />
          <Route path="/keys" component={() => <Guard perm="keys:manage"><ApiKeysPage /></Guard>} />
          <Route path="/users" component={() => <Guard perm="users:manage"><UsersPage /></Guard>} />
          <Route path="*" component={Home} />
        </HashRouter>
      </Match>
    </Switch>
  );
}
