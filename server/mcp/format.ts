// The readable text beside each tool's structured content: a few lines an agent (or a person
// reading its transcript) understands without parsing JSON.
import type { Broadcast, Me, Message, Teammate, Whoami } from "../../shared/api/index.ts";
import type { AuditPage } from "./backend.ts";

const teammateLine = (t: Teammate) => `- ${t.handle} (${t.name}): ${t.status.state}`;

export function whoamiText(caller: Me, agent: Whoami): string {
  const own = agent.me ? `This dashboard's own agent is ${agent.me.handle} (${agent.me.name}).` : "This dashboard has no own agent set.";
  return `You call Team Mesh as ${caller.kind === "api_key" ? "API key" : "user"} "${caller.name}" with role ${caller.role}.\n${own}`;
}

export function teammatesText(items: Teammate[]): string {
  return items.length ? `${items.length} teammate(s):\n${items.map(teammateLine).join("\n")}` : "No teammates yet.";
}

export function messageText(m: Message, poll: string | null): string {
  const replies = m.exchanges.filter((e) => e.reply !== null).map((e) => `Reply from ${m.to.handle}${m.rounds > 1 ? ` (round ${e.round})` : ""}:\n${e.reply}`);
  const head = `Message ${m.id} to ${m.to.handle}: ${m.status}.`;
  return [head, ...replies, ...(poll ? [poll] : [])].join("\n\n");
}

export function broadcastText(b: Broadcast, dashboardUrl: string): string {
  const to = b.recipients.map((r) => r.handle).join(", ") || "nobody";
  const skipped = b.skipped.length ? `\nSkipped: ${b.skipped.map((s) => `${s.handle} (${s.reason})`).join(", ")}.` : "";
  if (b.state === "awaiting_confirmation") {
    return `Broadcast ${b.id} is prepared for ${b.recipients.length} recipient(s): ${to}.${skipped}\nNothing was sent: a person with the operator or admin role must confirm it in the dashboard before ${b.expiresAt}:\n${dashboardUrl}`;
  }
  const counts = Object.entries(b.counts).map(([k, v]) => `${k} ${v}`).join(", ");
  const replies = b.recipients.filter((r) => r.reply !== null).map((r) => `Reply from ${r.handle}:\n${r.reply}`);
  return [`Broadcast ${b.id}: ${b.state} (${counts || "no recipients"}). Recipients: ${to}.${skipped}`, ...replies, dashboardUrl].join("\n\n");
}

export function auditText(page: AuditPage): string {
  if (!page.items.length) return "No audit entries match.";
  const lines = page.items.map((e) => `#${e.id} ${e.at} ${e.actor} ${e.kind} ${e.outcome}${e.teammate ? ` ${e.teammate}` : ""}`);
  return `${page.items.length} audit entr${page.items.length === 1 ? "y" : "ies"}:\n${lines.join("\n")}${page.nextCursor ? `\nMore: call again with cursor "${page.nextCursor}".` : ""}`;
}
