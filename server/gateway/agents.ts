// Discovering a gateway's agents: agents.list for the roster, then agent.identity.get per agent
// for the name and emoji the agent presents (its IDENTITY.md / config), which agents.list carries
// only when configured. An identity that cannot be read leaves the list's values.
import type { GatewayConnection } from "./connection.ts";
import { GatewayError } from "./errors.ts";
import type { GatewayAgent } from "./types.ts";

const MAX_AGENTS = 200;

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
const str = (v: unknown): string | null => (typeof v === "string" && v.trim() !== "" ? v.trim().slice(0, 200) : null);

export async function listAgentsOnConnection(conn: GatewayConnection, timeoutMs: number): Promise<GatewayAgent[]> {
  const list = await conn.request("agents.list", {}, { timeoutMs });
  const rows = Array.isArray(list.agents) ? list.agents.slice(0, MAX_AGENTS) : null;
  if (!rows) throw new GatewayError("GATEWAY_ERROR", "The gateway answered agents.list without an agent list.", { method: "agents.list" });
  const defaultId = str(list.defaultId);
  const agents = rows
    .map(rec)
    .filter((a): a is Record<string, unknown> => a !== null && str(a.id) !== null && a.kind !== "system")
    .map((a) => {
      const identity = rec(a.identity);
      const id = str(a.id) as string;
      return { agentId: id.toLowerCase(), name: str(identity?.name) ?? str(a.name), emoji: str(identity?.emoji), isDefault: id === defaultId };
    });
  await Promise.all(
    agents.map(async (a) => {
      const idn = await conn.request("agent.identity.get", { agentId: a.agentId }, { timeoutMs }).catch(() => null);
      if (!idn) return;
      a.name = str(idn.name) ?? a.name;
      a.emoji = str(idn.emoji) ?? a.emoji;
    }),
  );
  return agents;
}
