// Says that the fallback webhook was (or could not be) told about a teammate the message did not
// reach: no address, no token, or unreachable. Nothing is shown when no webhook call was made.
import { Show } from "solid-js";
import { words } from "../lib/format.ts";

export interface FallbackInfo {
  attempted: boolean;
  ok: boolean;
  reason: string;
  error?: string | null;
}

/** The fallback result a refused send (409 NO_ADDRESS / NO_CREDENTIALS) carries in error.details. */
export function fallbackOfError(err: unknown): FallbackInfo | null {
  const fb = (err as { details?: { fallback?: unknown } } | null)?.details?.fallback;
  if (!fb || typeof fb !== "object") return null;
  const f = fb as Partial<FallbackInfo>;
  return typeof f.attempted === "boolean" && typeof f.ok === "boolean" && typeof f.reason === "string" ? (f as FallbackInfo) : null;
}

export function handleOfError(err: unknown): string | null {
  const h = (err as { details?: { handle?: unknown } } | null)?.details?.handle;
  return typeof h === "string" ? h : null;
}

export function FallbackNote(props: { fallback: FallbackInfo | null | undefined; handle: string }) {
  return (
    <Show when={props.fallback?.attempted ? props.fallback : null}>
      {(f) => (
        <p class={f().ok ? "banner ok" : "banner warn"} role="status" data-testid="fallback-note">
          Fallback: @{props.handle} has {f().reason === "unreachable" ? "an unreachable gateway" : words(f().reason)}, so the fallback webhook{" "}
          {f().ok ? "was notified instead." : `could not be notified (${f().error ?? "failed"}).`}
        </p>
      )}
    </Show>
  );
}
