// Human output of the CLI: aligned tables and short summaries. Pure functions (tests call them).
// Nothing here ever receives a credential: the API does not return any.
import type {
  AuditEntry,
  AuditVerify,
  Broadcast,
  BroadcastPreview,
  ImportReport,
  Me,
  Message,
  SendPreview,
  SyncReport,
  Teammate,
  Whoami,
  Warning,
} from "../shared/api/index.ts";

/** Statuses that count as a successful delivery. */
export const OK_STATUSES = new Set(["replied", "delivered_no_reply"]);
/** Statuses that are not final yet. */
export const PENDING_STATUSES = new Set(["queued", "sending"]);

export function oneLine(text: string | null | undefined): string {
  return (text ?? "").replace(/\s+/g, " ").trim();
}

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, Math.max(0, max - 1)).join("")}…`;
}

/** Left-aligned columns separated by two spaces; no trailing spaces. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => [...(r[i] ?? "")].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat((widths[i] ?? 0) - [...c].length)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n");
}

export function ago(iso: string | null | undefined, now: Date): string {
  if (!iso) return "never";
  const s = Math.round((now.getTime() - new Date(iso).getTime()) / 1000);
  if (s < 0) return "just now";
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

export function ms(latency: number | null | undefined): string {
  if (latency === null || latency === undefined) return "-";
  return latency < 1000 ? `${Math.round(latency)} ms` : `${(latency / 1000).toFixed(1)} s`;
}

function who(t: { handle: string; name: string; displayName: string | null }): string {
  const label = t.displayName || t.name;
  return label && label.toLowerCase() !== t.handle ? `${t.handle} (${label})` : t.handle;
}

export function formatWarnings(warnings: readonly Warning[] | undefined): string[] {
  return (warnings ?? []).map((w) => `warning: ${w.message} [${w.code}]`);
}

/** The agent an entry addresses on its gateway (several entries may share one gateway). */
export function agentLabel(t: Pick<Teammate, "agentId" | "agentEmoji">): string {
  // an older server sends no agentId: its entries all address the gateway's main agent
  const id = (t.agentId as string | undefined) ?? "main";
  return t.agentEmoji ? `${t.agentEmoji} ${id}` : id;
}

export function formatTeammates(items: readonly Teammate[], now: Date): string {
  if (items.length === 0) return "No teammates yet. Add them in the dashboard or with `team-mesh import --registry registry.json`.";
  const rows = items.map((t) => [
    t.handle + (t.isMe ? " (me)" : ""),
    truncate(t.displayName || t.name, 30),
    t.status.state,
    t.gatewayUrl ?? "-",
    agentLabel(t),
    t.credential.set ? "set" : "missing",
    t.tags.length ? t.tags.map((tag) => `@${tag}`).join(" ") : "-",
    ago(t.status.lastSeenAt, now),
  ]);
  return table(["HANDLE", "NAME", "STATE", "GATEWAY", "AGENT", "TOKEN", "TAGS", "LAST SEEN"], rows);
}

export function formatPing(items: readonly Teammate[]): string {
  if (items.length === 0) return "No teammates to ping.";
  const rows = items.map((t) => {
    const detail = t.status.pairing
      ? `pairing required: on the gateway run \`${t.status.pairing.approveCommand}\``
      : t.status.error
        ? truncate(oneLine(t.status.error.message), 60)
        : "";
    return [t.handle + (t.isMe ? " (me)" : ""), agentLabel(t), t.status.state, ms(t.status.latencyMs), t.status.version ?? "-", detail];
  });
  const online = items.filter((t) => t.status.state === "online").length;
  return `${table(["HANDLE", "AGENT", "STATE", "LATENCY", "VERSION", "DETAIL"], rows)}\n\n${online}/${items.length} online`;
}

export function formatWhoami(w: Whoami, me: Me | null): string {
  const lines: string[] = [];
  if (w.me) {
    lines.push(`My agent: ${who(w.me)}${w.source === "env" ? " (from MESH_MY_EMAIL)" : ""}`);
    lines.push(`Gateway:  ${w.me.gatewayUrl ?? "(no address)"}`);
    lines.push(`Agent:    ${agentLabel(w.me)}`);
    lines.push(`State:    ${w.me.status.state}`);
  } else {
    lines.push("My agent: not set (set MESH_MY_EMAIL on the server, or choose it in the dashboard)");
  }
  if (me) lines.push(`Calling as: ${me.kind === "api_key" ? "API key" : me.kind} ${me.name} (role ${me.role})`);
  return lines.join("\n");
}

export function formatSendPreview(p: SendPreview): string {
  const lines = [
    "Dry run: nothing was sent.",
    `To:       ${who(p.to)}`,
    `Gateway:  ${p.gatewayUrl ?? "(no address)"}`,
    `Session:  ${p.session}`,
    `Rounds:   ${p.rounds}`,
    `Timeout:  ${p.timeoutSec} s`,
    `Message:  ${p.messageBytes} bytes, sha256 ${p.sha256.slice(0, 16)}…`,
    `Token:    ${p.credentialSet ? "set" : "missing"}`,
  ];
  for (const b of p.blockers) lines.push(`blocked: ${b.message} [${b.code}]`);
  return lines.join("\n");
}

/** Rounds whose reply may still come: timed out (or cancelled after sending) with a run id to ask the gateway about. */
export function lateReplyPossible(m: Pick<Message, "status" | "exchanges">): boolean {
  if (PENDING_STATUSES.has(m.status)) return false;
  return m.exchanges.some((x) => x.runId !== null && (x.status === "timeout" || (x.status === "cancelled_after_send" && x.reply === null)));
}

/** The exact command that fetches a late reply. */
export function lateReplyCommand(id: string, waitSec = 60): string {
  return `team-mesh reply ${id} --wait ${waitSec}`;
}

/** Two lines for a message whose reply may still come: its id and the command that fetches the reply. */
export function lateReplyHint(m: Pick<Message, "id" | "status" | "exchanges">): string | null {
  if (!lateReplyPossible(m)) return null;
  return `No reply yet for message ${m.id}; the agent may still answer. Fetch the late reply with:\n  ${lateReplyCommand(m.id)}`;
}

export function formatMessage(m: Message, opts: { hint?: boolean } = {}): string {
  const lines = [`${m.id}  → ${who(m.to)}  session ${m.session}  ${m.status}`];
  for (const x of m.exchanges) {
    const head = `[round ${x.round}/${m.rounds}] ${x.status}${x.latencyMs !== null ? ` in ${ms(x.latencyMs)}` : ""}`;
    lines.push(head);
    if (x.reply !== null && x.reply !== "") lines.push(x.reply);
    if (x.error) lines.push(`error: ${x.error.message} [${x.error.code}]`);
    if (x.status === "cancelled_after_send" && x.reply !== null && x.reply !== "") lines.push("(the reply above came after the cancel: the agent answered anyway)");
  }
  if (m.exchanges.length === 0 && PENDING_STATUSES.has(m.status)) lines.push("(still in progress: `team-mesh status " + m.id + "`)");
  if (m.fallback?.attempted) {
    lines.push(m.fallback.ok ? "fallback: the teammate was notified through the fallback webhook" : `fallback failed: ${m.fallback.error ?? m.fallback.reason}`);
  }
  const hint = opts.hint === false ? null : lateReplyHint(m);
  if (hint) lines.push(hint);
  return lines.join("\n");
}

export function formatAccepted(a: { id: string; status: string }): string {
  return `Accepted: message ${a.id} is ${a.status}.\nFollow it with: team-mesh status ${a.id}`;
}

export function formatRecipientsPreview(p: Pick<BroadcastPreview, "recipients" | "skipped" | "messageBytes" | "session"> & { group?: string[] | null }): string {
  const group = p.group?.length ? ` in ${p.group.map((t) => `@${t}`).join(" or ")}` : "";
  const lines = [`Recipients${group} (${p.recipients.length}): ${p.recipients.map(who).join(", ") || "none"}`];
  if (p.skipped.length) lines.push(`Skipped (${p.skipped.length}): ${p.skipped.map((s) => `${s.handle} (${s.reason.replace(/_/g, " ")})`).join(", ")}`);
  lines.push(`Message: ${p.messageBytes} bytes, session ${p.session}`);
  return lines.join("\n");
}

export function formatBroadcast(b: Broadcast): string {
  const lines = [`Broadcast ${b.id}: ${b.state.replace(/_/g, " ")}`];
  if (b.state === "awaiting_confirmation") {
    lines.push(formatRecipientsPreview(b));
    return lines.join("\n");
  }
  if (b.recipients.length) {
    lines.push(
      table(
        ["HANDLE", "STATUS", "LATENCY", "REPLY"],
        b.recipients.map((r) => [r.handle, r.status, ms(r.latencyMs), truncate(oneLine(r.reply ?? r.error?.message ?? ""), 70)]),
      ),
    );
  }
  if (b.skipped.length) lines.push(`Skipped: ${b.skipped.map((s) => `${s.handle} (${s.reason.replace(/_/g, " ")})`).join(", ")}`);
  const counts = Object.entries(b.counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k.replace(/_/g, " ")}`)
    .join(", ");
  if (counts) lines.push(counts);
  return lines.join("\n");
}

export function formatImportReport(r: ImportReport | SyncReport): string {
  const list = (xs: string[]) => (xs.length ? xs.join(", ") : "-");
  const lines: string[] = [];
  if ("source" in r) lines.push(`Synced from ${r.source} at ${r.at}`);
  lines.push(`Created:   ${list(r.created)}`);
  lines.push(`Updated:   ${list(r.updated)}`);
  lines.push(`Unchanged: ${list(r.unchanged)}`);
  lines.push(`Tokens set: ${list(r.tokensSet)}`);
  for (const s of r.skipped) lines.push(`Skipped ${s.handle ?? "(no handle)"}: ${s.reason}`);
  return lines.join("\n");
}

export function formatAudit(items: readonly AuditEntry[]): string {
  if (items.length === 0) return "No audit entries.";
  return table(
    ["ID", "AT", "ACTOR", "KIND", "TEAMMATE", "OUTCOME", "MESSAGE"],
    items.map((e) => [
      String(e.id),
      e.at.replace("T", " ").replace(/\.\d+/, "").replace(/Z|[+-]\d\d:\d\d$/, ""),
      e.actor,
      e.kind,
      e.teammate ?? "-",
      e.outcome + (e.errorCode ? ` (${e.errorCode})` : ""),
      truncate(oneLine(e.message ?? ""), 50),
    ]),
  );
}

export function formatVerify(v: AuditVerify): string {
  const lines = [
    v.ok
      ? `Chain intact: ${v.checked} of ${v.total} entries checked.`
      : `Chain BROKEN${v.firstBrokenId === null ? "" : ` at entry ${v.firstBrokenId}`}: ${v.reason ?? "hash mismatch"} (${v.checked} of ${v.total} checked).`,
  ];
  if (v.anchor) lines.push(v.anchor.ok ? `Anchor holds: entry ${v.anchor.count} is unchanged.` : `Anchor does NOT hold: ${v.anchor.reason ?? "mismatch"}`);
  return lines.join("\n");
}

/** 0 when a message ended well or is still on its way (--no-wait), 1 when it failed. */
export function messageExitCode(m: Pick<Message, "status">): 0 | 1 {
  return OK_STATUSES.has(m.status) || PENDING_STATUSES.has(m.status) ? 0 : 1;
}

/** 0 when every recipient got it (or it awaits confirmation), 1 when any delivery failed. */
export function broadcastExitCode(b: Pick<Broadcast, "state" | "recipients">): 0 | 1 {
  if (b.state === "awaiting_confirmation") return 0;
  if (b.state === "cancelled" || b.state === "expired") return 1;
  return b.recipients.every((r) => OK_STATUSES.has(r.status) || PENDING_STATUSES.has(r.status)) ? 0 : 1;
}
