// Fake OpenAI-compatible model server for OpenClaw test gateways.
//
//   const model = await startFakeModelServer();
//   model.baseUrl            // "http://127.0.0.1:<port>/v1" — put it in models.providers.<id>.baseUrl
//   model.requests           // user texts seen so far (after unwrapping), oldest first
//   await model.stop();
//
// It answers `GET /v1/models` and `POST /v1/chat/completions` (streaming SSE: a role delta, content
// deltas, a finish chunk, a usage chunk with empty choices, then `data: [DONE]`; non-streaming JSON
// when `stream` is false). The reply echoes the user's words exactly, after removing the wrappers
// OpenClaw adds (see unwrapUserText) and any test directives.
//
// Test directives, anywhere in the user's message (removed from the echoed text):
//   [[delay:5000]]        wait 5000 ms before the first byte of the answer
//   [[http:400]]          answer with that HTTP status and an OpenAI-style error body
//   [[reply:some text]]   answer with exactly "some text" instead of the echo (may contain HTML)
//   [[chunks:200]]        stream the reply word by word with 200 ms between chunks
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeModelServer {
  baseUrl: string;
  port: number;
  /** Unwrapped user texts of every chat completion request, oldest first. */
  requests: string[];
  /** Per request: the unwrapped user text and the system prompt (which names the agent's workspace). */
  calls: { text: string; system: string }[];
  stop(): Promise<void>;
}

export interface Directives {
  delayMs: number;
  httpStatus: number | null;
  reply: string | null;
  chunkDelayMs: number;
  text: string;
}

const DIRECTIVE_RE = /\[\[(delay|http|reply|chunks):([^\]]*)\]\]/g;

/** Parses and strips the test directives from an (already unwrapped) user text. */
export function parseDirectives(text: string): Directives {
  const out: Directives = { delayMs: 0, httpStatus: null, reply: null, chunkDelayMs: 0, text };
  out.text = text
    .replace(DIRECTIVE_RE, (_m, name: string, value: string) => {
      if (name === "delay") out.delayMs = Number(value) || 0;
      else if (name === "http") out.httpStatus = Number(value) || 500;
      else if (name === "reply") out.reply = value;
      else if (name === "chunks") out.chunkDelayMs = Number(value) || 0;
      return "";
    })
    .trim();
  return out;
}

const INTERNAL_CONTEXT_START = "<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>";
const CTX_MARKER = "⟦openclaw:ctx⟧";
const TIMESTAMP_RE = /^\[[A-Z][a-z]{2} \d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?: [A-Za-z+0-9:-]+)?\] /;
const RUNTIME_RE = /\n\nRuntime: agent=[^\n]*\s*$/;
// 2026.6 puts inbound metadata blocks before the user's words ("Sender (untrusted metadata):" with
// the client's display name, "Conversation info (untrusted metadata):", …), each a header line and
// a fenced JSON block (buildInboundUserContextPrefix; strip-inbound-meta lists the headers).
// JSON escapes newlines inside strings, so the first "\n```" line closes the block.
const INBOUND_META_RE = /^[A-Z][^\n]*\(untrusted[^\n]*\):\n```json\n[\s\S]*?\n```(?:\n+|$)/;

/** Removes what OpenClaw wraps around the user's words before the model sees them. */
export function unwrapUserText(raw: string): string {
  let text = raw;
  for (let i = 0; i < 8; i++) {
    const before = text;
    text = text.replace(TIMESTAMP_RE, "");
    const markerAt = text.indexOf(CTX_MARKER);
    if (markerAt >= 0 && !text.slice(0, markerAt).includes("\n")) {
      // header line ending with the marker, then a fenced block, then the user's words
      const fenceOpen = text.indexOf("```", markerAt);
      const fenceClose = fenceOpen >= 0 ? text.indexOf("\n```", fenceOpen + 3) : -1;
      if (fenceClose >= 0) text = text.slice(fenceClose + 4).replace(/^\s*\n/, "").replace(/^\n+/, "");
    }
    text = text.replace(RUNTIME_RE, "");
    text = text.replace(INBOUND_META_RE, "");
    if (text === before) break;
  }
  return text;
}

interface ChatMessage {
  role?: string;
  content?: unknown;
}

function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (p && typeof p === "object" && typeof (p as { text?: unknown }).text === "string" ? (p as { text: string }).text : ""))
      .join("");
  }
  return "";
}

/** The user's own words from a chat completion request body. */
export function lastUserText(messages: ChatMessage[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (!m || m.role !== "user") continue;
    const text = contentText(m.content);
    if (text.trimStart().startsWith(INTERNAL_CONTEXT_START)) continue;
    return unwrapUserText(text);
  }
  return "";
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startFakeModelServer(opts: { modelId?: string } = {}): Promise<FakeModelServer> {
  const modelId = opts.modelId ?? "echo-1";
  const requests: string[] = [];
  const calls: FakeModelServer["calls"] = [];
  const timers = new Set<NodeJS.Timeout>();
  const sleep = (ms: number, res: ServerResponse) =>
    new Promise<boolean>((resolve) => {
      if (ms <= 0) return resolve(!res.destroyed);
      const t = setTimeout(() => {
        timers.delete(t);
        resolve(!res.destroyed);
      }, ms);
      timers.add(t);
      res.once("close", () => {
        if (timers.delete(t)) {
          clearTimeout(t);
          resolve(false);
        }
      });
    });

  const server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://x");
      if (req.method === "GET" && url.pathname.endsWith("/models")) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ object: "list", data: [{ id: modelId, object: "model", created: 0, owned_by: "fake" }] }));
        return;
      }
      if (req.method !== "POST" || !url.pathname.endsWith("/chat/completions")) {
        res.writeHead(404, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: "not found", type: "invalid_request_error" } }));
        return;
      }
      const body = JSON.parse(await readBody(req)) as { messages?: ChatMessage[]; stream?: boolean; model?: string };
      const userText = lastUserText(body.messages ?? []);
      requests.push(userText);
      calls.push({ text: userText, system: (body.messages ?? []).filter((m) => m.role === "system" || m.role === "developer").map((m) => contentText(m.content)).join("\n") });
      const d = parseDirectives(userText);
      if (!(await sleep(d.delayMs, res))) return;
      if (d.httpStatus !== null) {
        res.writeHead(d.httpStatus, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: `fake model error ${d.httpStatus}`, type: "invalid_request_error", code: null } }));
        return;
      }
      const reply = d.reply ?? (d.text || "(empty)");
      const id = `chatcmpl-${Date.now().toString(36)}`;
      const created = Math.floor(Date.now() / 1000);
      const usage = { prompt_tokens: 10, completion_tokens: reply.split(/\s+/).length, total_tokens: 10 + reply.split(/\s+/).length };
      if (body.stream === false) {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            id,
            object: "chat.completion",
            created,
            model: modelId,
            choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" });
      const send = (obj: unknown) => res.write(`data: ${JSON.stringify(obj)}\n\n`);
      const chunk = (delta: object, finish: string | null = null) => ({
        id,
        object: "chat.completion.chunk",
        created,
        model: modelId,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
      send(chunk({ role: "assistant", content: "" }));
      const parts = d.chunkDelayMs > 0 ? reply.match(/\S+\s*|\s+/g) ?? [reply] : [reply];
      for (const p of parts) {
        send(chunk({ content: p }));
        if (d.chunkDelayMs > 0 && !(await sleep(d.chunkDelayMs, res))) return;
      }
      send(chunk({}, "stop"));
      send({ id, object: "chat.completion.chunk", created, model: modelId, choices: [], usage });
      res.write("data: [DONE]\n\n");
      res.end();
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { message: String(err), type: "server_error" } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    calls,
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// Run as a script (e.g. inside a network namespace next to a gateway):
//   node test/support/fake-model-server.ts   → prints {"port":N,"baseUrl":"..."} and serves until SIGTERM
if (import.meta.main) {
  const server = await startFakeModelServer();
  process.stdout.write(`${JSON.stringify({ port: server.port, baseUrl: server.baseUrl })}\n`);
  const stop = () => void server.stop().then(() => process.exit(0));
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
