// The fake model server's unwrapping of what each OpenClaw release puts around the user's words
// (the interop suite checks that the model got the exact message). Inputs are verbatim captures.
import { lastUserText, unwrapUserText } from "./fake-model-server.ts";

const words = 'hello <b>team</b> & "quotes" — ünïcödé ✓ 1796409721788';

describe("unwrapUserText", () => {
  it("2026.9: timestamp prefix and Runtime line", () => {
    const raw = `[Fri 2026-12-04 18:41 UTC] ${words}\n\nRuntime: agent=main | session=agent:main:main | sessionId=08396a4b | host=vm | model=fake/echo-1 | channel=webchat | capabilities=markdowndetails`;
    expect(unwrapUserText(raw)).toBe(words);
  });

  it("2026.6: timestamp prefix and the Sender (untrusted metadata) block with the client's display name", () => {
    const raw = `[Fri 2026-12-04 18:42 UTC] Sender (untrusted metadata):\n\`\`\`json\n{\n  "label": "Team Mesh (gateway-client)",\n  "id": "gateway-client",\n  "name": "Team Mesh",\n  "username": "Team Mesh"\n}\n\`\`\`\n\n${words}`;
    expect(unwrapUserText(raw)).toBe(words);
  });

  it("2026.6: several metadata blocks in a row, and words that span lines", () => {
    const block = (label: string, json: object) => `${label} (untrusted metadata):\n\`\`\`json\n${JSON.stringify(json, null, 2)}\n\`\`\`\n\n`;
    const body = "line one\n```json\n{}\n```\nline three";
    const raw = `[Fri 2026-12-04 18:42 UTC] ${block("Conversation info", { sender: "x\n```" })}${block("Sender", { label: "Team Mesh" })}${body}`;
    expect(unwrapUserText(raw)).toBe(body);
  });

  it("keeps the user's own words that merely look like a header (no fenced JSON block after it)", () => {
    expect(unwrapUserText("Sender (untrusted metadata): me, typing this")).toBe("Sender (untrusted metadata): me, typing this");
    expect(unwrapUserText("[Fri 2026-12-04 18:42 UTC] Note (untrusted metadata):\nplain text")).toBe("Note (untrusted metadata):\nplain text");
  });

  it("lastUserText skips the internal-context user row and unwraps the real one", () => {
    const messages = [
      { role: "user", content: `[Fri 2026-12-04 18:42 UTC] Sender (untrusted metadata):\n\`\`\`json\n{"label":"Team Mesh"}\n\`\`\`\n\n${words}` },
      { role: "user", content: [{ type: "text", text: "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>\nx\n<<<END_OPENCLAW_INTERNAL_CONTEXT>>>" }] },
    ];
    expect(lastUserText(messages)).toBe(words);
  });
});
