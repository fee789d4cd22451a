// Team Mesh's own secretlint rules, next to the maintained recommend preset: its `tm_` API keys
// (server/auth/service.ts: "tm_" + base64url of 32 bytes) and a bare private-key header — the
// preset's privatekey rule wants the whole PEM block, but a pasted header alone is already a leak.
import type { SecretLintRuleCreator } from "@secretlint/types";

const TM_KEY = /(?<![A-Za-z0-9_-])tm_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
const PEM_HEADER = /-----BEGIN[ A-Z0-9]{0,40}PRIVATE KEY( BLOCK)?-----/g;

function regexRule(id: string, messageId: string, text: string, pattern: RegExp): SecretLintRuleCreator {
  return {
    messages: { [messageId]: { en: () => text } },
    meta: { id, recommended: true, type: "scanner", supportedContentTypes: ["text"] },
    create(context) {
      const t = context.createTranslator(this.messages);
      return {
        file(source) {
          for (const m of source.content.matchAll(pattern)) {
            context.report({ message: t(messageId, {}), range: [m.index, m.index + m[0].length] });
          }
        },
      };
    },
  };
}

export const teamMeshKeyRule = regexRule("team-mesh/api-key", "TEAM_MESH_API_KEY", "Team Mesh API key (tm_...)", TM_KEY);
export const pemHeaderRule = regexRule("team-mesh/private-key-header", "PRIVATE_KEY_HEADER", "Private key header (-----BEGIN ... PRIVATE KEY-----)", PEM_HEADER);
