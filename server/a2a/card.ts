// The team's one Agent Card (A2A 1.0): Team Mesh as one agent, each teammate's agent a skill
// (id = the teammate's handle). The public card (no credential) names no teammate; with an API
// key that may read teammates (Bearer, as for every A2A call) the same URL, and
// GetExtendedAgentCard, list them.
import { A2A_PROTOCOL_VERSION, type AgentCard, type AgentSkill } from "@a2a-js/sdk";
import type { Registry } from "../teammates/types.ts";
import { A2A_RPC_PATH } from "./paths.ts";

/** The skill of a broadcast (a message to every teammate, confirmed by a person in the dashboard). */
export const BROADCAST_SKILL = "team-mesh:broadcast";

const TEXT = ["text/plain"];

function skill(id: string, name: string, description: string, tags: string[]): AgentSkill {
  return { id, name, description, tags, examples: [], inputModes: TEXT, outputModes: TEXT, securityRequirements: [] };
}

export function agentCard(origin: string, version: string, registry: Registry | null): AgentCard {
  const teammates = registry
    ? registry.list().map((t) => {
        const label = t.displayName ?? t.name;
        return skill(t.handle, label, `Send a message to ${label}'s agent (teammate ${t.handle}); the task is its reply.`, ["teammate", t.handle]);
      })
    : [];
  const broadcast = skill(
    BROADCAST_SKILL,
    "Broadcast to the team",
    "Prepare a message to every teammate (metadata broadcast: true). Nothing is sent until a person with the operator or admin role confirms it in the dashboard: the task stays auth-required until then.",
    ["broadcast"],
  );
  return {
    name: "Team Mesh",
    description:
      "The team's agents through Team Mesh. Name the teammate in the message's metadata (teammate: handle or name, or skill: its skill id); tasks are Team Mesh messages, audited and role-checked.",
    supportedInterfaces: [{ url: `${origin}${A2A_RPC_PATH}`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: A2A_PROTOCOL_VERSION }],
    provider: { organization: "Team Mesh", url: origin },
    version,
    documentationUrl: `${origin}/api/docs`,
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: true },
    securitySchemes: {
      apiKey: { scheme: { $case: "httpAuthSecurityScheme", value: { description: "A Team Mesh API key (Settings → API keys); role requester or operator to send", scheme: "Bearer", bearerFormat: "" } } },
    },
    securityRequirements: [{ schemes: { apiKey: { list: [] } } }],
    defaultInputModes: TEXT,
    defaultOutputModes: TEXT,
    skills: registry ? [...teammates, broadcast] : [],
    signatures: [],
  };
}
