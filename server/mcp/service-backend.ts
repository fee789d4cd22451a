// The MCP tools on the server (Streamable HTTP): the services themselves, called as the API key
// that authenticated the request, with the same permission checks as the REST routes
// (shared/permissions.ts) and the same outputs (parsed through the API's schemas).
import { z } from "zod";
import { AuditPage, Broadcast, Message, PingResult, Teammate, Whoami } from "../../shared/api/index.ts";
import { AuditQuery } from "../../shared/api/audit.ts";
import type { Permission, Principal } from "../auth/types.ts";
import { can, rolesWith } from "../auth/permissions.ts";
import { toMe } from "../auth/routes.ts";
import { ApiError } from "../errors.ts";
import { DEFAULT_SESSION, TIMEOUT_SEC_DEFAULT } from "../../shared/limits.ts";
import type { Services } from "../services.ts";
import type { McpBackend } from "./backend.ts";

/** 403 unless the principal has one of the permissions (the message the REST API gives). */
function need(principal: Principal, ...anyOf: Permission[]): void {
  if (anyOf.some((p) => can(principal.role, p))) return;
  throw new ApiError("FORBIDDEN", `This needs the permission ${anyOf.join(" or ")}, which role ${principal.role} does not have`, {
    needs: anyOf.join(" or "),
    roles: [...new Set(anyOf.flatMap((p) => rolesWith(p)))],
  });
}

export function serviceBackend(services: Services, principal: Principal, opts: { dashboardOrigin: string }): McpBackend {
  const { registry } = services;
  return {
    transport: "http",
    caller: async () => toMe(principal),
    async whoami() {
      need(principal, "teammates:read");
      const me = registry.me();
      const rec = me ? registry.byHandle(me.handle) : null;
      return Whoami.parse({ me: rec ? registry.toApi(rec) : null, source: me?.source ?? null });
    },
    async teammates() {
      need(principal, "teammates:read");
      return z.array(Teammate).parse(registry.list().map((t) => registry.toApi(t)));
    },
    async ping(to, timeoutSec) {
      need(principal, "ping");
      const records = to ? [registry.resolve(to)] : registry.list();
      return PingResult.parse({ teammates: await services.presence.ping(records, principal.label, timeoutSec) });
    },
    async send(input) {
      need(principal, "send");
      const req = { to: input.to, message: input.message, session: input.session ?? DEFAULT_SESSION, rounds: 1, timeoutSec: input.timeoutSec, dryRun: false, wait: true, fallback: true, allowSecrets: false };
      const result = await services.messages.send(req, principal);
      if (result.kind !== "message") throw new ApiError("INTERNAL", "The send did not wait for its reply");
      return Message.parse(result.message);
    },
    async getMessage(id) {
      need(principal, "audit:read", "send");
      return Message.parse(services.messages.get(id));
    },
    async lateReply(id) {
      need(principal, "send");
      return Message.parse(await services.messages.lateReply(id, principal));
    },
    async createBroadcast(input) {
      need(principal, "broadcast:create");
      const req = { message: input.message, session: input.session ?? DEFAULT_SESSION, timeoutSec: input.timeoutSec ?? TIMEOUT_SEC_DEFAULT, dryRun: false, fallback: true, allowSecrets: false };
      const result = await services.broadcasts.create(req, principal);
      if (result.kind !== "created") throw new ApiError("INTERNAL", "The broadcast was not created");
      return Broadcast.parse(result.broadcast);
    },
    async getBroadcast(id) {
      need(principal, "audit:read", "broadcast:create");
      return Broadcast.parse(services.broadcasts.get(id, principal));
    },
    async searchAudit(query) {
      need(principal, "audit:read");
      return AuditPage.parse(services.audit.query(AuditQuery.parse(query)));
    },
    dashboardUrl: (path) => `${opts.dashboardOrigin}${path}`,
    async record(call) {
      services.audit.append({
        actor: principal.label,
        kind: "mcp",
        outcome: call.outcome,
        errorCode: call.errorCode ?? null,
        details: { tool: call.tool, transport: "http", ...(call.target ? { target: call.target } : {}) },
      });
    },
  };
}
