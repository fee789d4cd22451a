// A2A 1.0 over JSON-RPC (and SSE for streaming): the handlers of the Agent Card at
// /.well-known/agent-card.json and of the JSON-RPC endpoint at /a2a (routed by http.ts, which loads
// this module and the SDK on the first request). The SDK's JsonRpcTransportHandler parses and answers the
// JSON-RPC; its Express adapter does not fit Hono, so this route does the HTTP part: an API key
// as `Authorization: Bearer` (the app's authenticate middleware looked it up; a session cookie
// is not enough) else 401, the A2A-Version check, SSE for the streaming method, and one audit
// entry (kind a2a, the key as actor) per call.
import { A2A_VERSION_HEADER, SSE_HEADERS, formatSSEErrorEvent, formatSSEEvent } from "@a2a-js/sdk";
import { AgentCard } from "@a2a-js/sdk";
import { JsonRpcTransportHandler, ServerCallContext, validateVersion } from "@a2a-js/sdk/server";
import type { Context } from "hono";
import type { AppEnv } from "../auth/context.ts";
import { can } from "../auth/permissions.ts";
import type { Principal } from "../auth/types.ts";
import { dashboardOrigin } from "../mcp/http.ts";
import { SERVER_INFO } from "../mcp/tools.ts";
import type { Services } from "../services.ts";
import { agentCard } from "./card.ts";
import { meshRequestHandler, STREAM_SIGNAL, type CallNote } from "./handler.ts";

interface RpcResponse {
  jsonrpc: string;
  id: string | number | null;
  result?: unknown;
  error?: unknown;
}

const isStream = (v: unknown): v is AsyncGenerator<RpcResponse, void, undefined> => typeof (v as AsyncGenerator | null)?.[Symbol.asyncIterator] === "function";

function unauthenticated(c: Context<AppEnv>, message: string) {
  c.header("WWW-Authenticate", 'Bearer realm="team-mesh", error="invalid_token"');
  return c.json({ error: { code: "UNAUTHENTICATED", message } }, 401);
}

const PARSE_ERROR = { code: -32700, message: "Parse error: the body is not JSON" };
const INVALID_REQUEST = { code: -32600, message: 'Invalid request: a JSON-RPC 2.0 request object {"jsonrpc": "2.0", "method", "params", "id"}' };

const isRequest = (b: unknown): b is Record<string, unknown> => {
  if (typeof b !== "object" || b === null || Array.isArray(b)) return false;
  const r = b as Record<string, unknown>;
  const id = r.id;
  const idOk = id === undefined || id === null || typeof id === "string" || (typeof id === "number" && Number.isInteger(id));
  return r.jsonrpc === "2.0" && typeof r.method === "string" && r.method !== "" && idOk;
};

function idOf(b: unknown): string | number | null {
  const id = (b as { id?: unknown } | null)?.id;
  return typeof id === "string" || (typeof id === "number" && Number.isInteger(id)) ? id : null;
}

/** The method a body names, for the audit trail (a bad body has none). */
function methodOf(body: unknown): string {
  const m = (body as { method?: unknown } | null)?.method;
  return typeof m === "string" && /^[A-Za-z/.]{1,64}$/.test(m) ? m : "(invalid)";
}

/** An error's code for the audit trail: the Team Mesh code in its message, else the JSON-RPC code. */
function errorCodeOf(error: unknown): string {
  const e = error as { code?: unknown; message?: unknown };
  const mesh = typeof e.message === "string" ? /\[([A-Z_]{2,64})\]$/.exec(e.message)?.[1] : undefined;
  return mesh ?? `JSONRPC_${String(e.code ?? "ERROR")}`.slice(0, 64);
}

export function a2aEndpoint(services: Services) {
  const { config } = services;
  const originOf = (c: Context<AppEnv>) => dashboardOrigin(c, config.trustProxy);

  function record(principal: Principal, method: string, note: CallNote, error: unknown) {
    services.audit.append({
      actor: principal.label,
      kind: "a2a",
      outcome: error ? "failed" : "ok",
      errorCode: error ? errorCodeOf(error) : null,
      details: { method, ...(note.target ? { target: note.target } : {}) },
    });
  }

  // The card: public without a key (no teammate named); with a key that may read teammates, the
  // full card with each teammate's agent as a skill.
  const card = (c: Context<AppEnv>) => {
    const principal = c.get("principal");
    const full = principal && c.get("authVia") === "bearer" && can(principal.role, "teammates:read");
    const card = agentCard(originOf(c), SERVER_INFO.version, full ? services.registry : null);
    c.header("Cache-Control", full ? "no-store" : "public, max-age=60");
    c.header("Vary", "Authorization"); // the card depends on the key
    return c.json(AgentCard.toJSON(card) as Record<string, unknown>);
  };

  const rpc = async (c: Context<AppEnv>) => {
    const principal = c.get("principal");
    if (c.req.header("authorization") === undefined) return unauthenticated(c, "Send an API key: Authorization: Bearer <api key>");
    if (!principal || c.get("authVia") !== "bearer") return unauthenticated(c, "The API key is invalid, expired or revoked");
    c.header("Cache-Control", "no-store");

    const text = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      record(principal, "(invalid)", {}, PARSE_ERROR);
      return c.json({ jsonrpc: "2.0", id: null, error: PARSE_ERROR });
    }
    const method = methodOf(body);
    // JSON-RPC 2.0's own codes for a body that is no request (the SDK reports those as -32602)
    if (!isRequest(body)) {
      record(principal, method, {}, INVALID_REQUEST);
      return c.json({ jsonrpc: "2.0", id: idOf(body), error: INVALID_REQUEST });
    }
    const note: CallNote = {};
    const handler = meshRequestHandler(services, { principal, origin: originOf(c), version: SERVER_INFO.version, note });
    const requestedVersion = c.req.header(A2A_VERSION_HEADER) || "1.0";
    const gone = new AbortController();
    const context = new ServerCallContext({ requestedVersion, state: new Map([[STREAM_SIGNAL, gone.signal]]) });

    let response: RpcResponse | AsyncGenerator<RpcResponse, void, undefined>;
    try {
      validateVersion(requestedVersion, await handler.getAgentCard(), "JSONRPC");
      response = await new JsonRpcTransportHandler(handler).handle(body, context);
    } catch (err) {
      response = { jsonrpc: "2.0", id: idOf(body), error: JsonRpcTransportHandler.mapToJSONRPCError(err) };
    }
    if (!isStream(response)) {
      record(principal, method, note, response.error);
      return c.json(response);
    }

    // SSE: the first event decides; an error before it is a plain JSON-RPC error answer
    const stream = response;
    const first = await stream.next().catch((err: unknown) => ({ error: err }));
    if ("error" in first) {
      const error = JsonRpcTransportHandler.mapToJSONRPCError(first.error);
      record(principal, method, note, error);
      return c.json({ jsonrpc: "2.0", id: idOf(body), error });
    }
    const encoder = new TextEncoder();
    let failure: unknown = null;
    const sse = new ReadableStream<Uint8Array>({
      start(ctrl) {
        if (!first.done) ctrl.enqueue(encoder.encode(formatSSEEvent(first.value)));
      },
      async pull(ctrl) {
        try {
          const next = await stream.next();
          if (next.done) {
            record(principal, method, note, null);
            ctrl.close();
          } else ctrl.enqueue(encoder.encode(formatSSEEvent(next.value)));
        } catch (err) {
          failure = JsonRpcTransportHandler.mapToJSONRPCError(err);
          record(principal, method, note, failure);
          ctrl.enqueue(encoder.encode(formatSSEErrorEvent({ jsonrpc: "2.0", id: idOf(body), error: failure })));
          ctrl.close();
        }
      },
      async cancel() {
        // the client went away: the stream stops, the run goes on (CancelTask aborts it)
        record(principal, method, note, null);
        gone.abort();
        await stream.return(undefined);
      },
    });
    return new Response(sse, { status: 200, headers: { ...SSE_HEADERS, "Cache-Control": "no-store, no-transform" } });
  };

  return { card, rpc };
}
