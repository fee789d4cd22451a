// In-process fake OpenClaw gateway (protocol v4 subset) for fast tests, fault injection and scale
// benchmarks (hundreds per process are fine: one ws server on a random loopback port each).
//
//   const gw = await startFakeGateway({ token: "secret" });
//   gw.url        // "ws://127.0.0.1:<port>"
//   gw.received   // messages received by chat.send, in order
//   gw.chatSends  // every chat.send frame {key, message, accepted}: counts double deliveries
//   GET /healthz answers {"ok":true,"status":"live"} like OpenClaw (for probes)
//   await gw.stop();
//
// Options:
//   token               shared gateway token (connect.params.auth.token must equal it)
//   reply(msg)          reply text for a message, directives removed (default: echo). `[[delay:ms]]` in a message
//                       delays that run; `[[reply:text]]` replies with text (same as the model server)
//   replyDelayMs        base run duration (default 20 ms)
//   gw.sentKeys / gw.aborts   idempotency keys taken by chat.send / chat.abort requests received
//   faults              see FakeGatewayFaults below
//   agents              the gateway's agents (default: just "main"): agents.list / agent.identity.get
//                       answer with them, chat.send to `agent:<id>:…` of another id is refused
//
// Speaks: connect.challenge → connect (signed device identity verified when present) → hello-ok;
// chat.send (runId = idempotencyKey; a send while the session has an active run is "steered" into
// it and gets no reply of its own, like OpenClaw), agent.wait (ok/timeout/pending), chat.history
// (user rows with idempotencyKey "<key>:user", assistant rows with __openclaw.runId), chat.abort,
// `chat` events (delta with cumulative message + deltaText, final, aborted), tick events.
import { createHash, randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import { buildDeviceAuthPayloadV3 } from "@openclaw/gateway-client";
import { WebSocketServer, type WebSocket } from "ws";
import { verifyDevicePayload } from "../../server/gateway/device-identity.ts";
import { parseDirectives } from "./fake-model-server.ts";

export interface FakeGatewayFaults {
  /** Never send connect.challenge. */
  noChallenge?: boolean;
  /** Send garbage (non-JSON and non-frame JSON) instead of the challenge / instead of answering chat.send. */
  garbage?: "handshake" | "requests";
  /** Answer chat.send with a frame larger than the client's 25 MiB limit. */
  oversizedFrame?: boolean;
  /** Delay hello-ok by this many ms. */
  slowHelloMs?: number;
  /** Delay every method response by this many ms. */
  slowResponseMs?: number;
  /** Reject connect with PROTOCOL_MISMATCH (as a gateway speaking another version would). */
  rejectProtocol?: boolean;
  /** Close the socket right after accepting a chat.send (mid-run). */
  closeMidRun?: boolean;
  /** Take a chat.send (the agent gets the message) and close the socket before answering it. */
  closeBeforeAnswer?: boolean;
  /** Take a new chat.send, answer it, then close the socket at once (the run goes on and ends). */
  closeAfterAnswer?: boolean;
  /** Take a chat.send (the agent gets the message; a repeated key is deduped) and never answer it; the run never ends. */
  hangChatSend?: boolean;
  /** Device identities must be approved (gw.approve(requestId)) before they can connect. */
  pairingRequired?: boolean;
  /** Pairing request id to answer with instead of a fresh UUID (a hostile gateway's shell payload, say). */
  pairingRequestId?: string;
  /** Answer connect with UNAVAILABLE/startup-sidecars for this long after start. */
  startingForMs?: number;
  /** Scopes granted in hello-ok (default: the requested ones). chat.* need operator.write. */
  grantScopes?: string[];
  /** agent.wait answers {status:"pending"} this many times per run before the real answer. */
  pendingWaits?: number;
  /** agent.wait ok answers carry no terminalReply (forces the chat.history fallback). */
  noTerminalReply?: boolean;
  /** No `chat` events at all. */
  noChatEvents?: boolean;
  /** chat.history assistant rows carry no `__openclaw.runId` (as on OpenClaw 2026.6.35 and 2026.7.35). */
  unstampedHistory?: boolean;
  /** Runs end ok but without any assistant row (as after a silent NO_REPLY). */
  silentRuns?: boolean;
  /** Take a chat.send (the run starts) but never answer it: the client waits for the answer. */
  noChatSendAnswer?: boolean;
  /** Runs never end by themselves: they finish (with their reply) when gw.finishRuns() is called. */
  holdRuns?: boolean;
  /** Answer chat.abort with aborted:false and let the run go on (it still answers). */
  ignoreAbort?: boolean;
  /**
   * The run's final/aborted chat event goes out this many ms before the run really ends (its
   * session stays busy, so a send in between is steered into it; agent.wait answers at the end),
   * as OpenClaw does on a busy machine.
   */
  settleAfterFinalMs?: number;
}

export interface FakeAgent {
  id: string;
  name?: string;
  emoji?: string;
}

export interface StartFakeGatewayOptions {
  token: string;
  /** `agentId`: the agent the session belongs to ("main" for a bare name). */
  reply?: (msg: string, ctx: { agentId: string; sessionKey: string }) => string;
  agents?: FakeAgent[];
  replyDelayMs?: number;
  faults?: FakeGatewayFaults;
  port?: number;
  /** Serve wss:// (and https /healthz) with this certificate. */
  tls?: { key: string; cert: string };
}

export interface FakeGateway {
  url: string;
  port: number;
  /** Messages received by chat.send, in order: one per distinct idempotency key (a repeated key is deduped as OpenClaw does). */
  received: string[];
  /**
   * Every chat.send frame that reached the gateway (after connect), in order, faulty ones too:
   * `accepted` is true when it started a new run (the agent got the message), false for a deduped
   * key, a garbage/oversized answer or an invalid request. Two frames of one broadcast recipient
   * with different keys, or one key accepted twice, would be a double delivery.
   */
  chatSends: { key: string; message: string; accepted: boolean; sessionKey: string; provenance?: unknown; traceparent?: string }[];
  /** Idempotency keys of the chat.send requests taken (one per distinct key, as `received`). */
  sentKeys: string[];
  /** chat.abort requests received, in order. */
  aborts: { sessionKey: string; runId: string }[];
  /** Finish every run still going (with its reply); for `holdRuns`. */
  finishRuns(): void;
  /** Connect attempts seen (each `connect` request), with their outcome. */
  connects: { ok: boolean; error?: string; deviceId?: string; auth: "token" | "device-token" | "none" }[];
  /** Pending pairing request ids. */
  pendingPairings(): string[];
  approve(requestId: string): void;
  /** Open WebSocket connections right now. */
  connections(): number;
  /** Mutate faults at runtime. */
  faults: FakeGatewayFaults;
  stop(): Promise<void>;
}

interface Row {
  role: "user" | "assistant";
  content: unknown;
  timestamp: number;
  idempotencyKey?: string;
  __openclaw: Record<string, unknown>;
}

interface Run {
  runId: string;
  sessionKey: string;
  done: boolean;
  status: "ok" | "error" | "aborted";
  text?: string;
  timer?: NodeJS.Timeout;
  waiters: Set<() => void>;
  pendingLeft: number;
  /** its end event is out, the run itself not yet over (settleAfterFinalMs) */
  finishing?: boolean;
}

const agentOf = (canonical: string): string => canonical.split(":")[1] ?? "main";

function canonicalKey(key: string): string {
  return key.startsWith("agent:") ? key : `agent:main:${key}`;
}

export async function startFakeGateway(opts: StartFakeGatewayOptions): Promise<FakeGateway> {
  const faults: FakeGatewayFaults = { ...opts.faults };
  const agents: FakeAgent[] = opts.agents ?? [{ id: "main" }];
  const startedAt = Date.now();
  const received: string[] = [];
  const chatSends: FakeGateway["chatSends"] = [];
  const sentKeys: string[] = [];
  const aborts: FakeGateway["aborts"] = [];
  const heldRuns = new Set<() => void>();
  const connects: FakeGateway["connects"] = [];
  const sessions = new Map<string, Row[]>();
  const activeRun = new Map<string, Run>();
  const runs = new Map<string, Run>();
  const pairing = new Map<string, { deviceId: string }>();
  const approvedDevices = new Set<string>();
  const deviceTokens = new Map<string, string>(); // token → deviceId
  const sockets = new Set<WebSocket>();
  const timers = new Set<NodeJS.Timeout>();
  let seq = 0;

  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  };

  // HTTP like OpenClaw: GET /healthz → {"ok":true,"status":"live"}; any other path → 200 HTML
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.split("?")[0] === "/healthz") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ ok: true, status: "live" }));
    } else {
      res.writeHead(200, { "content-type": "text/html" });
      res.end("<!doctype html><title>fake control ui</title>");
    }
  };
  const http = opts.tls ? createHttpsServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : createServer(handler);
  const wss = new WebSocketServer({ server: http, maxPayload: 64 * 1024 * 1024 });
  await new Promise<void>((resolve) => http.listen(opts.port ?? 0, "127.0.0.1", () => resolve()));
  const port = (http.address() as AddressInfo).port;

  const broadcast = (ws: WebSocket, event: string, payload: unknown) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "event", event, payload, seq: ++seq }));
  };

  wss.on("connection", (ws) => {
    sockets.add(ws);
    let authed = false;
    let scopes: string[] = [];
    let traceparent: string | undefined; // of the request being handled
    const nonce = randomUUID();
    const challengeTs = Date.now();
    const tick = setInterval(() => authed && broadcast(ws, "tick", { ts: Date.now() }), 10_000);
    tick.unref();
    ws.on("close", () => {
      sockets.delete(ws);
      clearInterval(tick);
    });
    const respond = (id: unknown, ok: boolean, body: unknown) => {
      const send = () => {
        if (ws.readyState !== ws.OPEN) return;
        ws.send(JSON.stringify(ok ? { type: "res", id, ok: true, payload: body } : { type: "res", id, ok: false, error: body }));
      };
      if (faults.slowResponseMs && authed) later(faults.slowResponseMs, send);
      else send();
    };

    if (faults.garbage === "handshake") {
      ws.send("this is not json {{{");
      ws.send(JSON.stringify({ hello: "not a frame" }));
    } else if (!faults.noChallenge) {
      ws.send(JSON.stringify({ type: "event", event: "connect.challenge", payload: { nonce, ts: challengeTs } }));
    }

    const chatEvent = (payload: Record<string, unknown>) => {
      if (faults.noChatEvents) return;
      for (const s of sockets) broadcast(s, "chat", payload);
    };

    const finishRun = (run: Run, status: Run["status"], text?: string) => {
      if (run.done || run.finishing) return;
      const close = () => {
        run.done = true;
        run.status = status;
        run.text = text;
        if (activeRun.get(run.sessionKey) === run) activeRun.delete(run.sessionKey);
        for (const w of run.waiters) w();
        run.waiters.clear();
      };
      if (!faults.settleAfterFinalMs) {
        run.done = true;
        run.status = status;
        run.text = text;
        if (activeRun.get(run.sessionKey) === run) activeRun.delete(run.sessionKey);
      } else run.finishing = true;
      const rows = sessions.get(run.sessionKey) ?? [];
      if (status === "ok" && text !== undefined && !faults.silentRuns) {
        rows.push({ role: "assistant", content: [{ type: "text", text }], timestamp: Date.now(), __openclaw: { ...(faults.unstampedHistory ? {} : { runId: run.runId }), seq: rows.length + 1 } });
        sessions.set(run.sessionKey, rows);
        chatEvent({ runId: run.runId, sessionKey: run.sessionKey, seq: 2, state: "final", stopReason: "stop", message: { role: "assistant", content: [{ type: "text", text }] } });
      } else if (status === "ok") {
        chatEvent({ runId: run.runId, sessionKey: run.sessionKey, seq: 2, state: "final", stopReason: "stop" });
      } else if (status === "aborted") {
        chatEvent({ runId: run.runId, sessionKey: run.sessionKey, seq: 2, state: "aborted", stopReason: "aborted" });
      }
      if (faults.settleAfterFinalMs) later(faults.settleAfterFinalMs, close);
      else close();
    };

    const handlers: Record<string, (params: Record<string, unknown>, id: unknown) => void> = {
      "chat.send": (p, id) => {
        const sessionKey = canonicalKey(String(p.sessionKey ?? ""));
        const key = String(p.idempotencyKey ?? "");
        const message = String(p.message ?? "");
        const frame: FakeGateway["chatSends"][number] = { key, message, accepted: false, sessionKey, ...(p.systemInputProvenance ? { provenance: p.systemInputProvenance } : {}), ...(traceparent ? { traceparent } : {}) };
        chatSends.push(frame);
        if (!key || !p.sessionKey) return respond(id, false, { code: "INVALID_REQUEST", message: "invalid chat.send params" });
        // like OpenClaw: provenance fields need operator.admin; an unknown agent is refused
        if (p.systemInputProvenance && !scopes.includes("operator.admin")) return respond(id, false, { code: "INVALID_REQUEST", message: "system provenance fields require admin scope" });
        const agentId = agentOf(sessionKey);
        if (!agents.some((a) => a.id === agentId)) return respond(id, false, { code: "INVALID_REQUEST", message: `unknown agent id "${agentId}"` });
        const existing = runs.get(key);
        if (faults.hangChatSend) {
          if (!existing) {
            frame.accepted = true;
            received.push(message);
            runs.set(key, { runId: key, sessionKey, done: false, status: "ok", waiters: new Set(), pendingLeft: 0 });
          }
          return; // never answered; the run never ends
        }
        if (existing) return respond(id, true, { runId: key, status: existing.done ? "ok" : "in_flight" });
        if (faults.garbage === "requests") {
          ws.send("garbage {{{");
          ws.send(JSON.stringify({ type: "res", id: "not-yours", ok: true, payload: {} }));
          return;
        }
        if (faults.oversizedFrame) {
          ws.send(JSON.stringify({ type: "res", id, ok: true, payload: { runId: key, status: "started", pad: "x".repeat(26 * 1024 * 1024) } }));
          return;
        }
        frame.accepted = true;
        received.push(message);
        sentKeys.push(key);
        const rows = sessions.get(sessionKey) ?? [];
        rows.push({ role: "user", content: message, timestamp: Date.now(), idempotencyKey: `${key}:user`, __openclaw: { idempotencyKey: `${key}:user`, seq: rows.length + 1 } });
        sessions.set(sessionKey, rows);
        const run: Run = { runId: key, sessionKey, done: false, status: "ok", waiters: new Set(), pendingLeft: faults.pendingWaits ?? 0 };
        runs.set(key, run);
        // the run goes on (as on a real gateway) even if the connection drops before the answer
        if (faults.closeBeforeAnswer) ws.close(1011, "fake gateway closed before answering chat.send");
        else if (!faults.noChatSendAnswer) respond(id, true, { runId: key, status: "started" });
        if (faults.closeAfterAnswer) ws.close(1011, "fake gateway closed after answering chat.send");
        if (faults.closeMidRun) {
          later(20, () => ws.close(1011, "fake gateway crashed mid-run"));
          return;
        }
        const active = activeRun.get(sessionKey);
        if (active) {
          // steered into the active run: ends together with it, without a reply of its own
          active.waiters.add(() => finishRun(run, "ok", undefined));
          return;
        }
        activeRun.set(sessionKey, run);
        const d = parseDirectives(message);
        const text = d.reply ?? (opts.reply ? opts.reply(d.text, { agentId, sessionKey }) : d.text);
        const total = (opts.replyDelayMs ?? 20) + d.delayMs;
        later(Math.floor(total / 2), () => {
          if (run.done) return;
          const half = text.slice(0, Math.ceil(text.length / 2));
          chatEvent({ runId: key, sessionKey, seq: 1, state: "delta", deltaText: half, message: { role: "assistant", content: [{ type: "text", text: half }] } });
        });
        if (faults.holdRuns) heldRuns.add(() => finishRun(run, "ok", text));
        else run.timer = later(total, () => finishRun(run, "ok", text));
      },
      "agent.wait": (p, id) => {
        const run = runs.get(String(p.runId ?? ""));
        const timeoutMs = typeof p.timeoutMs === "number" ? p.timeoutMs : 30_000;
        const answer = () => {
          if (!run || !run.done) return respond(id, true, { runId: p.runId, status: "timeout" });
          if (run.status === "ok") {
            return respond(id, true, {
              runId: run.runId,
              status: "ok",
              endedAt: Date.now(),
              ...(run.text !== undefined && !faults.noTerminalReply && !faults.silentRuns ? { terminalReply: { disposition: "visible", text: run.text } } : {}),
            });
          }
          return respond(id, true, { runId: run.runId, status: "error", error: run.status, stopReason: run.status });
        };
        if (run && run.pendingLeft > 0) {
          run.pendingLeft--;
          return respond(id, true, { runId: run.runId, status: "pending" });
        }
        if (!run || run.done) return answer();
        const t = later(timeoutMs, () => {
          run.waiters.delete(w);
          answer();
        });
        const w = () => {
          clearTimeout(t);
          timers.delete(t);
          answer();
        };
        run.waiters.add(w);
      },
      "chat.history": (p, id) => {
        const sessionKey = canonicalKey(String(p.sessionKey ?? ""));
        const limit = typeof p.limit === "number" ? p.limit : 200;
        const rows = sessions.get(sessionKey) ?? [];
        respond(id, true, { sessionKey: p.sessionKey, messages: rows.slice(-limit), hasMore: rows.length > limit });
      },
      "agents.list": (_p, id) => {
        respond(id, true, {
          defaultId: agents[0]?.id ?? "main",
          mainKey: "main",
          scope: "per-sender",
          agents: agents.map((a) => ({ id: a.id, ...(a.name ? { name: a.name } : {}) })),
        });
      },
      "agent.identity.get": (p, id) => {
        const a = agents.find((x) => x.id === String(p.agentId ?? agentOf(canonicalKey(String(p.sessionKey ?? "main")))));
        if (!a) return respond(id, false, { code: "INVALID_REQUEST", message: "unknown agent" });
        respond(id, true, { agentId: a.id, ...(a.name ? { name: a.name } : {}), ...(a.emoji ? { emoji: a.emoji } : {}) });
      },
      "chat.abort": (p, id) => {
        aborts.push({ sessionKey: String(p.sessionKey ?? ""), runId: String(p.runId ?? "") });
        const run = runs.get(String(p.runId ?? ""));
        if (run && !run.done && !faults.ignoreAbort) {
          if (run.timer) clearTimeout(run.timer);
          finishRun(run, "aborted");
          return respond(id, true, { ok: true, aborted: true, runIds: [run.runId] });
        }
        respond(id, true, { ok: true, aborted: false, runIds: [] });
      },
    };

    ws.on("message", (data) => {
      let frame: Record<string, unknown>;
      try {
        frame = JSON.parse(data.toString()) as Record<string, unknown>;
      } catch {
        return;
      }
      if (frame.type !== "req" || typeof frame.method !== "string") return;
      const id = frame.id;
      const params = (frame.params ?? {}) as Record<string, unknown>;
      traceparent = typeof frame.traceparent === "string" ? frame.traceparent : undefined;
      if (frame.method === "connect") {
        if (authed) return respond(id, false, { code: "INVALID_REQUEST", message: "already connected" });
        const auth = (params.auth ?? {}) as Record<string, unknown>;
        const device = params.device as Record<string, unknown> | undefined;
        const fail = (code: string, message: string, details: Record<string, unknown>, close = true) => {
          connects.push({ ok: false, error: String(details.code ?? code), auth: auth.deviceToken ? "device-token" : auth.token ? "token" : "none" });
          respond(id, false, { code, message, details, ...(details.retryable ? { retryable: true, retryAfterMs: 200 } : {}) });
          if (close) later(5, () => ws.close(details.reason === "startup-sidecars" ? 1013 : 1008, String(details.code ?? code).slice(0, 60)));
        };
        if (faults.startingForMs && Date.now() - startedAt < faults.startingForMs) {
          return fail("UNAVAILABLE", "gateway starting", { reason: "startup-sidecars", retryable: true });
        }
        const min = Number(params.minProtocol);
        const max = Number(params.maxProtocol);
        if (faults.rejectProtocol || !(min <= 4 && 4 <= max)) {
          return fail("INVALID_REQUEST", "protocol mismatch", { code: "PROTOCOL_MISMATCH", expectedProtocol: faults.rejectProtocol ? 5 : 4 });
        }
        let deviceId: string | undefined;
        if (device) {
          const publicKey = String(device.publicKey ?? "");
          const raw = Buffer.from(publicKey, "base64url");
          deviceId = createHash("sha256").update(raw).digest("hex");
          if (raw.length !== 32 || deviceId !== device.id) return fail("INVALID_REQUEST", "device identity mismatch", { code: "DEVICE_AUTH_DEVICE_ID_MISMATCH" });
          if (device.nonce !== nonce || device.signedAt !== challengeTs) return fail("INVALID_REQUEST", "device nonce mismatch", { code: "DEVICE_AUTH_NONCE_MISMATCH" });
          const client = (params.client ?? {}) as Record<string, unknown>;
          const payload = buildDeviceAuthPayloadV3({
            deviceId,
            clientId: String(client.id),
            clientMode: String(client.mode),
            role: String(params.role),
            scopes: (params.scopes as string[]) ?? [],
            signedAtMs: challengeTs,
            token: typeof auth.token === "string" ? auth.token : null,
            nonce,
            platform: String(client.platform ?? ""),
            deviceFamily: typeof client.deviceFamily === "string" ? client.deviceFamily : undefined,
          } as Parameters<typeof buildDeviceAuthPayloadV3>[0]);
          if (!verifyDevicePayload(publicKey, payload, String(device.signature ?? ""))) {
            return fail("INVALID_REQUEST", "device signature invalid", { code: "DEVICE_AUTH_SIGNATURE_INVALID" });
          }
        }
        const token = typeof auth.token === "string" ? auth.token : undefined;
        const presentedDeviceToken = typeof auth.deviceToken === "string" ? auth.deviceToken : undefined;
        const viaDeviceToken = presentedDeviceToken !== undefined && deviceId !== undefined && deviceTokens.get(presentedDeviceToken) === deviceId;
        if (presentedDeviceToken !== undefined && !viaDeviceToken) {
          return fail("INVALID_REQUEST", "unauthorized: device token mismatch", { code: "AUTH_DEVICE_TOKEN_MISMATCH" });
        }
        if (!viaDeviceToken && token !== opts.token) {
          return fail("INVALID_REQUEST", "unauthorized: gateway token mismatch", { code: token ? "AUTH_TOKEN_MISMATCH" : "AUTH_TOKEN_MISSING" });
        }
        if (faults.pairingRequired && deviceId && !approvedDevices.has(deviceId)) {
          let requestId = [...pairing].find(([, v]) => v.deviceId === deviceId)?.[0];
          if (!requestId) {
            requestId = faults.pairingRequestId ?? randomUUID();
            pairing.set(requestId, { deviceId });
          }
          return fail("NOT_PAIRED", "pairing required", { code: "PAIRING_REQUIRED", reason: "not-paired", requestId });
        }
        let issued: string | undefined;
        if (faults.pairingRequired && deviceId && approvedDevices.has(deviceId) && !viaDeviceToken) {
          issued = `devtok-${randomUUID()}`;
          deviceTokens.set(issued, deviceId);
        }
        const requested = Array.isArray(params.scopes) ? (params.scopes as string[]) : [];
        scopes = faults.grantScopes ?? requested;
        const hello = {
          type: "hello-ok",
          protocol: 4,
          server: { version: "fake-2026.9", connId: randomUUID() },
          features: { methods: Object.keys(handlers), events: ["chat", "tick"] },
          snapshot: {},
          auth: { role: "operator", scopes, method: viaDeviceToken ? "device-token" : "token", ...(issued ? { deviceToken: issued } : {}) },
          policy: { maxPayload: 26214400, maxBufferedBytes: 52428800, tickIntervalMs: 30000 },
        };
        const accept = () => {
          authed = true;
          connects.push({ ok: true, ...(deviceId ? { deviceId } : {}), auth: viaDeviceToken ? "device-token" : "token" });
          respond(id, true, hello);
        };
        if (faults.slowHelloMs) later(faults.slowHelloMs, accept);
        else accept();
        return;
      }
      if (!authed) return respond(id, false, { code: "INVALID_REQUEST", message: "connect first" });
      const handler = handlers[frame.method];
      if (!handler) return respond(id, false, { code: "INVALID_REQUEST", message: `unknown method ${frame.method}` });
      const needs = frame.method === "chat.history" || frame.method === "agents.list" || frame.method === "agent.identity.get" ? "operator.read" : "operator.write";
      if (!scopes.includes(needs) && !scopes.includes("operator.admin")) {
        return respond(id, false, { code: "FORBIDDEN", message: `missing scope: ${needs}`, details: { code: "MISSING_SCOPE", missingScope: needs, requiredScopes: [needs] } });
      }
      handler(params, id);
    });
  });

  return {
    url: `${opts.tls ? "wss" : "ws"}://127.0.0.1:${port}`,
    port,
    received,
    chatSends,
    sentKeys,
    aborts,
    finishRuns() {
      const all = [...heldRuns];
      heldRuns.clear();
      for (const f of all) f();
    },
    connects,
    faults,
    pendingPairings: () => [...pairing.keys()],
    approve(requestId) {
      const p = pairing.get(requestId);
      if (!p) throw new Error(`unknown pairing request ${requestId}`);
      pairing.delete(requestId);
      approvedDevices.add(p.deviceId);
    },
    connections: () => sockets.size,
    async stop() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const r of runs.values()) if (r.timer) clearTimeout(r.timer);
      for (const s of sockets) s.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
