// REST routes /schedules (mounted under /api/v1): read with audit:read or broadcast:create, create,
// edit and delete with broadcast:create, pre-approve (and revoke) as an admin (users:manage).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { Schedule, ScheduleCreate, SchedulePreview, SchedulePreviewRequest, ScheduleUpdate } from "../../shared/api/schedules.ts";
import { principalOf, requirePermission } from "../auth/middleware.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import { humanTime, nextRuns } from "./cron.ts";
import type { SchedulesService } from "./service.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
const IdParam = z.object({ id: z.coerce.number().int().positive() });

export function schedulesRoutes(deps: { schedules: SchedulesService }) {
  const svc = deps.schedules;
  const use = requirePermission("broadcast:create");
  const admin = requirePermission("users:manage");
  return createRouter()
    .openapi(
      createRoute({
        method: "post",
        path: "/schedules/preview",
        tags: ["schedules"],
        summary: "The next fire times of a cron expression, in ISO and in words",
        middleware: [use],
        request: body(SchedulePreviewRequest),
        responses: { 200: json(SchedulePreview, "Next runs"), ...errorResponses(400, 401, 403) },
      }),
      (c) => {
        const { cron, timezone, count } = c.req.valid("json");
        const runs = nextRuns(cron, timezone, count, Date.now());
        return c.json({ nextRuns: runs.map((t) => new Date(t).toISOString()), human: runs.map((t) => humanTime(t, timezone)) }, 200);
      },
    )
    .openapi(
      createRoute({ method: "get", path: "/schedules", tags: ["schedules"], middleware: [use], responses: { 200: json(z.object({ items: z.array(Schedule) }), "Schedules"), ...errorResponses(401, 403) } }),
      (c) => c.json({ items: svc.list() }, 200),
    )
    .openapi(
      createRoute({ method: "post", path: "/schedules", tags: ["schedules"], middleware: [use], request: body(ScheduleCreate), responses: { 201: json(Schedule, "Created"), ...errorResponses(400, 401, 403) } }),
      (c) => c.json(svc.create(c.req.valid("json"), principalOf(c)), 201),
    )
    .openapi(
      createRoute({ method: "get", path: "/schedules/{id}", tags: ["schedules"], middleware: [use], request: { params: IdParam }, responses: { 200: json(Schedule, "The schedule and its runs"), ...errorResponses(400, 401, 403, 404) } }),
      (c) => c.json(svc.get(c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/schedules/{id}",
        tags: ["schedules"],
        summary: "Edit a schedule: a new text or group lapses a pre-approval (audited); timing, name and pausing keep it",
        middleware: [use],
        request: { params: IdParam, ...body(ScheduleUpdate) },
        responses: { 200: json(Schedule, "Updated, with the next runs recomputed"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => c.json(svc.update(c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
    )
    .openapi(
      createRoute({ method: "delete", path: "/schedules/{id}", tags: ["schedules"], middleware: [use], request: { params: IdParam }, responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) } }),
      (c) => {
        svc.remove(c.req.valid("param").id, principalOf(c));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/schedules/{id}/approve",
        tags: ["schedules"],
        summary: "Pre-approve exactly this text and the recipients it resolves to now (admin; audited)",
        middleware: [admin],
        request: { params: IdParam },
        responses: { 200: json(Schedule, "Approved"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => c.json(svc.approve(c.req.valid("param").id, principalOf(c)), 200),
    )
    .openapi(
      createRoute({ method: "delete", path: "/schedules/{id}/approve", tags: ["schedules"], middleware: [admin], request: { params: IdParam }, responses: { 200: json(Schedule, "Approval revoked"), ...errorResponses(400, 401, 403, 404) } }),
      (c) => c.json(svc.revokeApproval(c.req.valid("param").id, principalOf(c)), 200),
    );
}
