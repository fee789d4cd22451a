// Small display helpers.
import { FAILED_STATUSES, FINAL_STATUSES } from "../../../shared/api/enums.ts";

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
  });
}

export function fmtDate(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

export function fmtAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "never";
  const t = new Date(iso).getTime();
  if (Number.isNaN(t)) return iso;
  const s = Math.round((now - t) / 1000);
  if (s < 5) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return fmtDate(iso);
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms == null) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function fmtBytes(n: number): string {
  return `${n.toLocaleString("en-US")} B`;
}

export function shortHash(sha256: string | null | undefined): string {
  return sha256 ? sha256.replace(/^sha256:/, "").slice(0, 12) : "—";
}

export function firstLine(text: string | null | undefined, max = 120): string {
  if (!text) return "";
  const line = text.split(/\r?\n/, 1)[0] ?? "";
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

export function countdown(ms: number): string {
  if (ms <= 0) return "expired";
  const s = Math.ceil(ms / 1000);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

/** Human words for a status / outcome code. */
const WORDS: Record<string, string> = {
  online: "online",
  unreachable: "unreachable",
  auth_failed: "auth failed",
  pairing_required: "pairing required",
  no_credentials: "no credentials",
  no_address: "no address",
  unknown: "unknown",
  error: "error",
  queued: "queued",
  sending: "sending",
  replied: "replied",
  delivered_no_reply: "delivered, no reply",
  timeout: "timed out",
  cancelled: "cancelled",
  cancelled_after_send: "cancelled — may have been delivered",
  interrupted: "interrupted",
  pending: "pending",
  ok: "ok",
  failed: "failed",
  awaiting_confirmation: "awaiting confirmation",
  completed: "completed",
  expired: "expired",
  self: "is you",
};
export function words(code: string): string {
  return WORDS[code] ?? code.replace(/_/g, " ");
}

/** Colour family of a status: good / warn / bad / busy / idle. */
export function tone(code: string): "good" | "warn" | "bad" | "busy" | "idle" {
  switch (code) {
    case "online":
    case "replied":
    case "ok":
    case "completed":
      return "good";
    case "delivered_no_reply":
    case "timeout":
    case "pairing_required":
    case "no_credentials":
    case "no_address":
    case "awaiting_confirmation":
    case "interrupted":
    case "cancelled_after_send":
      return "warn";
    case "unreachable":
    case "auth_failed":
    case "error":
    case "failed":
    case "expired":
      return "bad";
    case "queued":
    case "sending":
    case "pending":
      return "busy";
    default:
      return "idle";
  }
}

export const FINAL = new Set<string>(FINAL_STATUSES);
export const FAILED = new Set<string>(FAILED_STATUSES);
