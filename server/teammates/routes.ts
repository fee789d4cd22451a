// REST routes: /teammates (CRUD, token, history, import, sync) and /whoami (mounted under /api/v1).
// POST /teammates/{handle}/pair, /status and /ping belong to the messaging routes.
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { ImportReport, ImportRequest, SyncReport, Tag, Teammate, TeammateCreate, TeammateUpdate, TokenSet, Whoami, WhoamiSet } from "../../shared/api/teammates.ts";
import { principalOf, requirePermission } from "../auth/middleware.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import { ApiError } from "../errors.ts";
import type { MeshRegistry, Registry, TeammateRecord } from "./types.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
const HandleParam = z.object({ handle: z.string().min(1).max(200) });
const ListQuery = z.object({ tag: Tag.optional() });
const HistoryItem = z.object({ at: z.string(), state: z.string(), latencyMs: z.number().nullable(), errorCode: z.string().nullable() });

export function teammatesRoutes(deps: { registry: Registry }) {
  const reg = deps.registry;
  const read = requirePermission("teammates:read");
  const write = requirePermission("teammates:write");
  const many = (records: TeammateRecord[]): Teammate[] =>
    "toApiMany" in reg && typeof (reg as MeshRegistry).toApiMany === "function" ? (reg as MeshRegistry).toApiMany(records) : records.map((r) => reg.toApi(r));
  const get = (handle: string): TeammateRecord => {
    const rec = reg.byHandle(handle);
    if (!rec) throw new ApiError("TEAMMATE_NOT_FOUND", `No teammate with handle "${handle}"`, { handle });
    return rec;
  };
  const out = (rec: TeammateRecord) => Teammate.parse(reg.toApi(rec));
  const whoami = () => {
    const me = reg.me();
    const rec = me ? reg.byHandle(me.handle) : null;
    return Whoami.parse({ me: rec ? reg.toApi(rec) : null, source: me?.source ?? null });
  };

  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/teammates",
        tags: ["teammates"],
        summary: "Every teammate; ?tag=backend: only those tagged so",
        middleware: [read],
        request: { query: ListQuery },
        responses: { 200: json(z.object({ items: z.array(Teammate) }), "Teammates"), ...errorResponses(400, 401, 403) },
      }),
      (c) => {
        const { tag } = c.req.valid("query");
        const records = tag === undefined ? reg.list() : reg.list().filter((r) => r.tags.includes(tag));
        return c.json({ items: many(records).map((t) => Teammate.parse(t)) }, 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/teammates",
        tags: ["teammates"],
        middleware: [write],
        request: body(TeammateCreate),
        responses: { 201: json(Teammate, "Created"), ...errorResponses(400, 401, 403, 409) },
      }),
      (c) => c.json(out(reg.create(c.req.valid("json"), principalOf(c).label)), 201),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/teammates/import",
        tags: ["teammates"],
        summary: "Import the agent-team-mesh skill's registry.json (+ tokens.json)",
        middleware: [write],
        request: body(ImportRequest),
        responses: { 200: json(ImportReport, "What changed"), ...errorResponses(400, 401, 403) },
      }),
      (c) => c.json(ImportReport.parse(reg.importLegacy(c.req.valid("json"), principalOf(c).label)), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/teammates/sync",
        tags: ["teammates"],
        summary: "Sync from MESH_REGISTRY_URL (never deletes)",
        middleware: [write],
        responses: { 200: json(SyncReport, "What changed"), ...errorResponses(401, 403, 409, 502) },
      }),
      async (c) => c.json(SyncReport.parse(await reg.sync(principalOf(c).label)), 200),
    )
    .openapi(
      createRoute({ method: "get", path: "/teammates/{handle}", tags: ["teammates"], middleware: [read], request: { params: HandleParam }, responses: { 200: json(Teammate, "The teammate"), ...errorResponses(401, 403, 404) } }),
      (c) => c.json(out(get(c.req.valid("param").handle)), 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/teammates/{handle}",
        tags: ["teammates"],
        middleware: [write],
        request: { params: HandleParam, ...body(TeammateUpdate) },
        responses: { 200: json(Teammate, "Updated"), ...errorResponses(400, 401, 403, 404) },
      }),
      (c) => c.json(out(reg.update(c.req.valid("param").handle, c.req.valid("json"), principalOf(c).label)), 200),
    )
    .openapi(
      createRoute({ method: "delete", path: "/teammates/{handle}", tags: ["teammates"], middleware: [write], request: { params: HandleParam }, responses: { 204: { description: "Deleted" }, ...errorResponses(401, 403, 404) } }),
      (c) => {
        reg.remove(c.req.valid("param").handle, principalOf(c).label);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/teammates/{handle}/token",
        tags: ["teammates"],
        summary: "Set the teammate's gateway token (write-only)",
        middleware: [write],
        request: { params: HandleParam, ...body(TokenSet) },
        responses: { 200: json(Teammate, "Updated (the token itself is never returned)"), ...errorResponses(400, 401, 403, 404) },
      }),
      (c) => c.json(out(reg.setToken(c.req.valid("param").handle, c.req.valid("json").token, principalOf(c).label)), 200),
    )
    .openapi(
      createRoute({ method: "delete", path: "/teammates/{handle}/token", tags: ["teammates"], middleware: [write], request: { params: HandleParam }, responses: { 204: { description: "Removed" }, ...errorResponses(401, 403, 404) } }),
      (c) => {
        reg.removeToken(c.req.valid("param").handle, principalOf(c).label);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/teammates/{handle}/history",
        tags: ["teammates"],
        summary: "Recent probe results, newest first (the last 200 are kept)",
        middleware: [read],
        request: { params: HandleParam },
        responses: { 200: json(z.object({ items: z.array(HistoryItem) }), "History"), ...errorResponses(401, 403, 404) },
      }),
      (c) => {
        const rec = get(c.req.valid("param").handle);
        const items = "history" in reg && typeof (reg as MeshRegistry).history === "function" ? (reg as MeshRegistry).history(rec.id) : [];
        return c.json({ items }, 200);
      },
    )
    .openapi(
      createRoute({ method: "get", path: "/whoami", tags: ["teammates"], summary: "This dashboard's own agent", middleware: [read], responses: { 200: json(Whoami, "Own agent"), ...errorResponses(401, 403) } }),
      (c) => c.json(whoami(), 200),
    )
    .openapi(
      createRoute({
        method: "put",
        path: "/whoami",
        tags: ["teammates"],
        summary: "Set (or clear with null) the own agent; MESH_MY_EMAIL wins when set",
        middleware: [write],
        request: body(WhoamiSet),
        responses: { 200: json(Whoami, "Own agent"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => {
        reg.setMe(c.req.valid("json").handle, principalOf(c).label);
        return c.json(whoami(), 200);
      },
    );
}
