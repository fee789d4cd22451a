// Session store: who is signed in, the server's limits/config, first-run setup state.
import { createSignal } from "solid-js";
import type { Me } from "../../../shared/api/auth.ts";
import { MESSAGE_HARD_LIMIT_DEFAULT, MESSAGE_SOFT_LIMIT_DEFAULT, ROUNDS_MAX, TIMEOUT_SEC_DEFAULT, TIMEOUT_SEC_MAX } from "../../../shared/limits.ts";
import { ApiError, api, asApiError, onUnauthenticated, type MeshConfig } from "../api/client.ts";
import { connectEvents, disconnectEvents } from "../api/events.ts";
import { roleCan, type Permission } from "../../../shared/permissions.ts";

/** "must-change-password": signed in with an admin-handed one-time password; only the new-password page is shown. */
export type SessionState = "loading" | "signed-out" | "signed-in" | "must-change-password" | "error";

const [state, setState] = createSignal<SessionState>("loading");
const [me, setMe] = createSignal<Me | null>(null);
const [setupRequired, setSetupRequired] = createSignal(false);
const [config, setConfig] = createSignal<MeshConfig>({
  msgSoftLimit: MESSAGE_SOFT_LIMIT_DEFAULT,
  msgHardLimit: MESSAGE_HARD_LIMIT_DEFAULT,
  roundsMax: ROUNDS_MAX,
  timeoutSecMax: TIMEOUT_SEC_MAX,
  timeoutSecDefault: TIMEOUT_SEC_DEFAULT,
  syncConfigured: false,
  fallbackConfigured: false,
  version: "",
});
const [loadError, setLoadError] = createSignal<ApiError | null>(null);
const [expired, setExpired] = createSignal(false);

export const session = {
  state,
  me,
  setupRequired,
  config,
  loadError,
  /** true when the session ended on its own (401 while signed in). */
  expired,
  can: (p: Permission) => roleCan(me()?.role, p),
};

async function signedIn(m: Me): Promise<void> {
  setMe(m);
  setExpired(false);
  if (m.mustChangePassword) {
    // the server answers nothing else (403 PASSWORD_CHANGE_REQUIRED) until the password is changed
    setState("must-change-password");
    return;
  }
  try {
    // limits first, so forms never start with the wrong ones
    setConfig(await api.config());
  } catch {
    // defaults from shared/limits.ts stay in place
  }
  setState("signed-in");
  connectEvents();
}

function signedOut(): void {
  disconnectEvents();
  setMe(null);
  setState("signed-out");
}

onUnauthenticated(() => {
  if (state() === "signed-in" || state() === "must-change-password") {
    setExpired(true);
    signedOut();
  }
});

export async function loadSession(): Promise<void> {
  setState("loading");
  setLoadError(null);
  try {
    const m = await api.me();
    await signedIn(m);
    return;
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) {
      setLoadError(asApiError(e));
      setState("error");
      return;
    }
  }
  try {
    setSetupRequired((await api.setupState()).setupRequired);
  } catch {
    setSetupRequired(false);
  }
  signedOut();
}

export async function login(username: string, password: string): Promise<void> {
  await signedIn(await api.login({ username, password }));
}

export async function setup(setupCode: string, username: string, password: string): Promise<void> {
  const m = await api.setup({ setupCode, username, password });
  setSetupRequired(false);
  await signedIn(m);
}

/** Replaces the one-time (or current) password; the server sets a fresh session, and Home opens. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  const m = await api.changePassword({ currentPassword, newPassword });
  window.location.hash = "#/home";
  await signedIn(m);
}

export async function logout(): Promise<void> {
  try {
    await api.logout();
  } finally {
    setExpired(false);
    signedOut();
  }
}
