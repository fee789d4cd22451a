// An API error shown in plain words next to what caused it, with its code visible.
import { For, Show, type JSX } from "solid-js";
import { ApiError } from "../api/client.ts";
import { issueText } from "../../../shared/issue-text.ts";

const HINTS: Record<string, string> = {
  NETWORK_ERROR: "The Team Mesh server cannot be reached.",
  REQUEST_TIMEOUT: "The server took too long to answer.",
  BAD_RESPONSE: "The server sent an unexpected answer.",
  UNAUTHENTICATED: "You are not signed in (or your session ended).",
  INVALID_CREDENTIALS: "Wrong username or password.",
  SETUP_CODE_WRONG: "The setup code is wrong.",
  LAST_ADMIN: "This is the last active admin.",
  FORBIDDEN: "Your role is not allowed to do this.",
  CSRF_REJECTED: "The request was rejected as possibly cross-site. Reload the page.",
  VALIDATION_FAILED: "Some fields are not valid.",
  MESSAGE_TOO_LARGE: "The message is larger than the server accepts.",
  PAYLOAD_TOO_LARGE: "The request is larger than the server accepts.",
  RATE_LIMITED: "Too many requests. Wait a moment and try again.",
  TEAMMATE_NOT_FOUND: "No teammate matches that name.",
  AMBIGUOUS_TEAMMATE: "More than one teammate matches that name.",
  HANDLE_TAKEN: "A teammate with that handle already exists.",
  NO_ADDRESS: "This teammate has no gateway address.",
  NO_CREDENTIALS: "No gateway token is set for this teammate.",
  IS_SELF: "That teammate is you.",
  GATEWAY_UNREACHABLE: "The teammate's gateway cannot be reached.",
  AUTH_FAILED: "The gateway refused the token.",
  PAIRING_REQUIRED: "The gateway wants this server's device approved first.",
  GATEWAY_TIMEOUT: "The agent did not answer in time.",
  BROADCAST_EXPIRED: "The confirmation window has passed. Create the broadcast again.",
  CONFIRMATION_TOKEN_INVALID: "The confirmation no longer matches this broadcast.",
  NO_RECIPIENTS: "Nobody would receive this broadcast.",
  SYNC_NOT_CONFIGURED: "Registry sync is not configured on the server.",
  SHUTTING_DOWN: "The server is shutting down.",
  INTERNAL: "The server hit an internal error.",
  SECRET_DETECTED: "The message contains what looks like a secret. Remove it before sending.",
  SECRET_OVERRIDE_FORBIDDEN: "Only an admin may send a message the secret scanner blocks.",
};

/** SECRET_DETECTED: what matched, masked by the server ("GitHub token: ghp_****"). */
function secretFindings(details: unknown): string[] {
  const findings = (details as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(findings)) return [];
  return findings
    .filter((f): f is { description: string; match: string } => !!f && typeof (f as { description?: unknown }).description === "string")
    .map((f) => `${f.description}: ${f.match}`);
}

function issueList(details: unknown): string[] {
  const issues = (details as { issues?: unknown } | null)?.issues;
  if (!Array.isArray(issues)) return [];
  return issues
    .filter((i): i is { path?: unknown; message: string } => !!i && typeof (i as { message?: unknown }).message === "string")
    .map(issueText);
}

function forbiddenDetail(details: unknown): string | null {
  if (!details || typeof details !== "object") return null;
  const d = details as { needs?: unknown; roles?: unknown };
  if (typeof d.needs !== "string") return null;
  const roles = Array.isArray(d.roles) ? ` (roles with it: ${d.roles.join(", ")})` : "";
  return `Needs permission ${d.needs}${roles}.`;
}

export function ErrorNote(props: { error: unknown; id?: string; children?: JSX.Element }) {
  const info = () => {
    const e = props.error;
    if (!e) return null;
    if (e instanceof ApiError) {
      const hint = HINTS[e.code];
      const extra = e.code === "FORBIDDEN" ? forbiddenDetail(e.details) : null;
      return {
        code: e.code,
        title: hint ?? e.message,
        message: hint && e.message !== hint ? e.message : null,
        extra,
        // the server's message already says it in words when there is a single issue
        issues: e.code === "VALIDATION_FAILED" ? issueList(e.details).filter((t) => t !== e.message) : e.code === "SECRET_DETECTED" ? secretFindings(e.details) : [],
      };
    }
    return { code: "ERROR", title: e instanceof Error ? e.message : String(e), message: null, extra: null, issues: [] };
  };
  return (
    <Show when={info()}>
      {(i) => (
        <div class="error-note" role="alert" id={props.id}>
          <p>
            <strong>{i().title}</strong> <code class="code">{i().code}</code>
          </p>
          <Show when={i().message}>
            <p class="muted">{i().message}</p>
          </Show>
          <Show when={i().extra}>
            <p class="muted">{i().extra}</p>
          </Show>
          <Show when={i().issues.length}>
            <ul class="issues">
              <For each={i().issues}>{(m) => <li>{m}</li>}</For>
            </ul>
          </Show>
          {props.children}
        </div>
      )}
    </Show>
  );
}
