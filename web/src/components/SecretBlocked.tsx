// The server refused a message because its secret scanner found something (422 SECRET_DETECTED):
// what matched, as the server masked it (never the text itself), and — only for a role with
// secrets:override — a two-step "send anyway" that resends with allowSecrets: true (audited).
import { For, Show, createSignal } from "solid-js";
import { ApiError } from "../api/client.ts";
import { session } from "../stores/session.ts";

export interface SecretFindingView {
  ruleId: string;
  description: string;
  match: string;
  blocking: boolean;
}

/** The findings of a SECRET_DETECTED error; null for any other error. */
export function secretBlock(error: unknown): SecretFindingView[] | null {
  if (!(error instanceof ApiError) || error.code !== "SECRET_DETECTED") return null;
  const list = (error.details as { findings?: unknown } | null)?.findings;
  if (!Array.isArray(list)) return [];
  return list.filter((f): f is SecretFindingView => !!f && typeof f.ruleId === "string" && typeof f.match === "string");
}

/**
 * The findings of the last refusal while the text is still exactly the one sent then: the
 * override is offered for that text only. Call `sending(text)` as each send starts.
 */
export function createSecretRefusal(text: () => string, error: () => unknown) {
  const [sent, setSent] = createSignal<string | null>(null);
  return { findings: () => (sent() === text() ? secretBlock(error()) : null), sending: (t: string) => setSent(t) };
}

/** The rule's own name, without the package prefix ("@secretlint/secretlint-rule-aws/AWSAccessKeyID" → "aws/AWSAccessKeyID"). */
const ruleName = (id: string) => id.replace(/^@secretlint\/secretlint-rule-/, "");

export function SecretBlocked(props: {
  findings: SecretFindingView[];
  /** What the override does, e.g. "Send anyway". */
  overrideLabel: string;
  /** Said in the confirm step: what happens on confirming. */
  consequence: string;
  busy: boolean;
  onOverride: () => void;
}) {
  const [confirming, setConfirming] = createSignal(false);
  const mayOverride = () => session.can("secrets:override");
  return (
    <div class="error-note secret-blocked" role="alert">
      <p>
        <strong>The message contains what looks like a secret.</strong> <code class="code">SECRET_DETECTED</code>
      </p>
      <ul class="issues" aria-label="What the secret scanner found">
        <For each={props.findings}>
          {(f) => (
            <li>
              {f.description}: <code>{f.match}</code> <span class="muted small">rule {ruleName(f.ruleId)}{f.blocking ? "" : " · warning only"}</span>
            </li>
          )}
        </For>
      </ul>
      <Show
        when={mayOverride()}
        fallback={<p class="muted">Remove it and send again. Only an admin can send a message the scanner blocks.</p>}
      >
        <p class="muted">Remove it and send again, or send it as it is: that is recorded in the audit log.</p>
        <Show
          when={confirming()}
          fallback={
            <div class="actions">
              <button type="button" class="danger" disabled={props.busy} onClick={() => setConfirming(true)}>
                {props.overrideLabel}
              </button>
            </div>
          }
        >
          <p>
            <strong>{props.consequence}</strong>
          </p>
          <div class="actions">
            <button
              type="button"
              class="danger"
              disabled={props.busy}
              onClick={() => {
                setConfirming(false);
                props.onOverride();
              }}
            >
              Yes, {props.overrideLabel.toLowerCase()}
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Keep editing
            </button>
          </div>
        </Show>
      </Show>
    </div>
  );
}
