// Routes of messaging: status, ping, pair, messages, broadcasts. Thin: validate with the shared
// schema, call one service, build the body through the output schema.
import { createRoute, z } from "@hono/zod-openapi";
import { ErrorBody } from "../../shared/api/common.ts";
import { Accepted, Message, MessageList, MessageListQuery, SendPreview, SendRequest } from "../../shared/api/messages.ts";
import { AnswersQuery, Broadcast, BroadcastConfirm, BroadcastCreate, BroadcastPreview } from "../../shared/api/broadcasts.ts";
import { answersFile } from "./broadcast-answers.ts";
import { PingRequest, PingResult, Teammate } from "../../shared/api/teammates.ts";
import { ApiError } from "../errors.ts";
import { principalOf, type AuthKit } from "../http/auth-kit.ts";
import { idempotency } from "../http/idempotency.ts";
import { createRouter } from "../http/router.ts";
import type { Db } from "../db/connection.ts";
import type { Registry } from "../teammates/types.ts";
import type { BroadcastService } from "./broadcast.ts";
import type { PresenceService } from "./presence.ts";
import type { MessageService } from "./send.ts";
import { filteredMessages } from "./conversation-query.ts";
import { messageOf } from "./message-row.ts";

export interface MessagingRoutesDeps {
  auth: AuthKit;
  db: Db;
  registry: Registry;
  messages: MessageService;
  broadcasts: BroadcastService;
  presence: PresenceService;
}

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { "application/json": { schema } },
  description,
});
const errors = {
  400: json(ErrorBody, "Invalid request"),
  401: json(ErrorBody, "Not signed in"),
  403: json(ErrorBody, "Missing permission"),
};
const security: Record<string, string[]>[] = [{ cookie: [] }, { bearer: [] }];
const IdempotencyHeader = z.object({ "idempotency-key": z.string().optional() });
const IdParam = z.object({ id: z.string().min(1).max(100) });
const HandleParam = z.object({ handle: z.string().min(1).max(64) });
const WaitQuery = z.object({ wait: z.enum(["true", "false"]).optional() });

export function messagingRoutes(deps: MessagingRoutesDeps) {
  const { auth } = deps;
  const idem = idempotency(deps.db);

  // ---- presence -------------------------------------------------------------------------
  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/status",
        tags: ["presence"],
        summary: "Last known status of every teammate (no probing)",
        security,
        middleware: [auth.authenticate, auth.require("teammates:read")] as const,
        responses: { 200: json(z.object({ teammates: z.array(Teammate) }), "Teammates"), ...errors },
      }),
      (c) => c.json(z.object({ teammates: z.array(Teammate) }).parse({ teammates: deps.registry.list().map((t) => deps.registry.toApi(t)) }), 200),
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/ping",
        tags: ["presence"],
        summary: "Probe one teammate (to) or all of them now",
        security,
        middleware: [auth.authenticate, auth.require("ping")] as const,
        request: { body: { content: { "application/json": { schema: PingRequest } }, required: false } },
        responses: { 200: json(PingResult, "Fresh statuses"), ...errors, 404: json(ErrorBody, "Unknown teammate"), 409: json(ErrorBody, "Ambiguous name") },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const records = body.to ? [deps.registry.resolve(body.to)] : deps.registry.list();
        const teammates = await deps.presence.ping(records, principalOf(c).label, body.timeoutSec);
        return c.json(PingResult.parse({ teammates }), 200);
      },
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/teammates/{handle}/pair",
        tags: ["presence"],
        summary: "Probe a teammate now and show its pairing state",
        security,
        middleware: [auth.authenticate, auth.require("teammates:write")] as const,
        request: { params: HandleParam },
        responses: { 200: json(Teammate, "The teammate with its fresh status"), ...errors, 404: json(ErrorBody, "Unknown teammate") },
      }),
      async (c) => {
        const { handle } = c.req.valid("param");
        const record = deps.registry.byHandle(handle.toLowerCase());
        if (!record) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate ${handle}`);
        const [teammate] = await deps.presence.ping([record], principalOf(c).label);
        return c.json(Teammate.parse(teammate), 200);
      },
    )

    // ---- messages -------------------------------------------------------------------------
    .openapi(
      createRoute({
        method: "post",
        path: "/messages",
        tags: ["messages"],
        summary: "Send a message (1-10 rounds), or preview it with dryRun",
        security,
        middleware: [auth.authenticate, auth.require("send"), idem] as const,
        request: { headers: IdempotencyHeader, body: { content: { "application/json": { schema: SendRequest } }, required: true } },
        responses: {
          200: json(z.union([Message, SendPreview]), "The message with its exchanges, or the dry-run preview"),
          202: json(Accepted, "Accepted (wait:false); follow /messages/{id} or the event stream"),
          ...errors,
          404: json(ErrorBody, "Unknown teammate"),
          409: json(ErrorBody, "Ambiguous name, no address, no credentials, idempotency key in use"),
          413: json(ErrorBody, "Message above the hard limit"),
          422: json(ErrorBody, "Idempotency key reused for another request, or a secret detected (SECRET_DETECTED, masked findings in details)"),
          429: json(ErrorBody, "Send rate limit reached (RATE_LIMITED, Retry-After)"),
        },
      }),
      async (c) => {
        const result = await deps.messages.send(c.req.valid("json"), principalOf(c));
        if (result.kind === "preview") return c.json(SendPreview.parse(result.preview), 200);
        if (result.kind === "accepted") return c.json(Accepted.parse(result.accepted), 202);
        return c.json(Message.parse(result.message), 200);
      },
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/messages",
        tags: ["messages"],
        summary: "Recent messages, newest first; by teammate, session or text, keyset-paged with before=nextCursor",
        security,
        middleware: [auth.authenticate, auth.require("audit:read", "send")] as const,
        request: { query: MessageListQuery },
        responses: { 200: json(MessageList, "Messages"), ...errors },
      }),
      (c) => {
        const query = c.req.valid("query");
        const page = filteredMessages(deps.db, { limit: query.limit, handle: query.teammate, session: query.session, q: query.q, before: query.before });
        return c.json(MessageList.parse({ items: page.rows.map((r) => messageOf(r, deps.registry)), nextCursor: page.nextCursor }), 200);
      },
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/messages/{id}",
        tags: ["messages"],
        security,
        middleware: [auth.authenticate, auth.require("audit:read", "send")] as const,
        request: { params: IdParam },
        responses: { 200: json(Message, "The message"), ...errors, 404: json(ErrorBody, "No such message") },
      }),
      (c) => c.json(Message.parse(deps.messages.get(c.req.valid("param").id)), 200),
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/messages/{id}/late-reply",
        tags: ["messages"],
        summary: "Ask the gateway for replies of timed-out rounds",
        security,
        middleware: [auth.authenticate, auth.require("send")] as const,
        request: { params: IdParam },
        responses: { 200: json(Message, "The message, with late replies filled in"), ...errors, 404: json(ErrorBody, "No such message") },
      }),
      async (c) => c.json(Message.parse(await deps.messages.lateReply(c.req.valid("param").id, principalOf(c))), 200),
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/messages/{id}/cancel",
        tags: ["messages"],
        summary: "Abort the run in flight",
        security,
        middleware: [auth.authenticate, auth.require("send")] as const,
        request: { params: IdParam },
        responses: { 200: json(Message, "The message"), ...errors, 404: json(ErrorBody, "No such message") },
      }),
      async (c) => c.json(Message.parse(await deps.messages.cancel(c.req.valid("param").id, principalOf(c))), 200),
    )

    // ---- broadcasts -----------------------------------------------------------------------
    .openapi(
      createRoute({
        method: "post",
        path: "/broadcasts",
        tags: ["broadcasts"],
        summary: "Create a broadcast awaiting confirmation (or preview it with dryRun)",
        security,
        middleware: [auth.authenticate, auth.require("broadcast:create"), idem] as const,
        request: { headers: IdempotencyHeader, body: { content: { "application/json": { schema: BroadcastCreate } }, required: true } },
        responses: {
          200: json(BroadcastPreview, "Dry run: recipients and warnings, nothing stored"),
          201: json(Broadcast, "Created, awaiting confirmation"),
          ...errors,
          409: json(ErrorBody, "No recipients"),
          413: json(ErrorBody, "Message above the hard limit"),
          422: json(ErrorBody, "A secret detected (SECRET_DETECTED, masked findings in details)"),
        },
      }),
      async (c) => {
        const result = await deps.broadcasts.create(c.req.valid("json"), principalOf(c));
        if (result.kind === "preview") return c.json(BroadcastPreview.parse(result.preview), 200);
        return c.json(Broadcast.parse(result.broadcast), 201);
      },
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/broadcasts",
        tags: ["broadcasts"],
        security,
        middleware: [auth.authenticate, auth.require("audit:read", "broadcast:create")] as const,
        request: { query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }) },
        responses: { 200: json(z.object({ items: z.array(Broadcast) }), "Broadcasts, newest first"), ...errors },
      }),
      (c) => c.json({ items: z.array(Broadcast).parse(deps.broadcasts.list(principalOf(c), c.req.valid("query").limit)) }, 200),
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/broadcasts/{id}",
        tags: ["broadcasts"],
        security,
        middleware: [auth.authenticate, auth.require("audit:read", "broadcast:create")] as const,
        request: { params: IdParam },
        responses: { 200: json(Broadcast, "The broadcast"), ...errors, 404: json(ErrorBody, "No such broadcast") },
      }),
      (c) => c.json(Broadcast.parse(deps.broadcasts.get(c.req.valid("param").id, principalOf(c))), 200),
    )

    .openapi(
      createRoute({
        method: "get",
        path: "/broadcasts/{id}/answers",
        tags: ["broadcasts"],
        summary: "The recipients' answers, grouped by identical / near-identical reply, as CSV, NDJSON or Markdown",
        security,
        middleware: [auth.authenticate, auth.require("audit:read", "broadcast:create")] as const,
        request: { params: IdParam, query: AnswersQuery },
        responses: {
          200: {
            description: "The file (a download)",
            content: { "text/csv": { schema: z.string() }, "application/x-ndjson": { schema: z.string() }, "text/markdown": { schema: z.string() } },
          },
          ...errors,
          404: json(ErrorBody, "No such broadcast"),
        },
      }),
      (c) => {
        const { format, status } = c.req.valid("query");
        const file = answersFile(deps.broadcasts.get(c.req.valid("param").id, principalOf(c)), format, status ?? []);
        return c.body(file.body, 200, {
          "Content-Type": file.contentType,
          "Content-Disposition": `attachment; filename="${file.filename}"`,
          "Cache-Control": "no-store",
          "X-Content-Type-Options": "nosniff",
        });
      },
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/broadcasts/{id}/confirm",
        tags: ["broadcasts"],
        summary: "Confirm with the token from the create response; sends to exactly the listed recipients",
        security,
        middleware: [auth.authenticate, auth.require("broadcast:confirm"), idem] as const,
        request: { params: IdParam, headers: IdempotencyHeader, body: { content: { "application/json": { schema: BroadcastConfirm } }, required: true } },
        responses: {
          200: json(Broadcast, "Completed (wait:true)"),
          202: json(Broadcast, "Sending"),
          ...errors,
          404: json(ErrorBody, "No such broadcast"),
          409: json(ErrorBody, "Wrong token, already confirmed, cancelled"),
          410: json(ErrorBody, "Expired"),
          429: json(ErrorBody, "Send rate limit reached (RATE_LIMITED, Retry-After)"),
        },
      }),
      async (c) => {
        const body = c.req.valid("json");
        const b = await deps.broadcasts.confirm(c.req.valid("param").id, body.token, body.wait, principalOf(c));
        return c.json(Broadcast.parse(b), body.wait ? 200 : 202);
      },
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/broadcasts/{id}/cancel",
        tags: ["broadcasts"],
        summary: "Cancel: before confirmation nothing is sent; while sending, unsent recipients are cancelled and runs aborted",
        security,
        middleware: [auth.authenticate, auth.require("broadcast:create")] as const,
        request: { params: IdParam },
        responses: { 200: json(Broadcast, "The broadcast"), ...errors, 404: json(ErrorBody, "No such broadcast"), 409: json(ErrorBody, "Already completed") },
      }),
      async (c) => c.json(Broadcast.parse(await deps.broadcasts.cancel(c.req.valid("param").id, principalOf(c))), 200),
    )

    .openapi(
      createRoute({
        method: "post",
        path: "/broadcasts/{id}/retry",
        tags: ["broadcasts"],
        summary: "Send again to the recipients whose delivery failed",
        security,
        middleware: [auth.authenticate, auth.require("broadcast:confirm")] as const,
        request: { params: IdParam, query: WaitQuery },
        responses: {
          200: json(Broadcast, "Completed (?wait=true)"),
          202: json(Broadcast, "Sending again"),
          ...errors,
          404: json(ErrorBody, "No such broadcast"),
          409: json(ErrorBody, "Nothing to retry, not confirmed, still sending"),
        },
      }),
      async (c) => {
        const wait = c.req.valid("query").wait === "true";
        const b = await deps.broadcasts.retry(c.req.valid("param").id, wait, principalOf(c));
        return c.json(Broadcast.parse(b), wait ? 200 : 202);
      },
    );
}
