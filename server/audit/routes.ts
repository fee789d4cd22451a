// REST routes: GET /audit, /audit/export, /audit/verify, /audit/{id} (mounted under /api/v1).
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { AuditAnchor, AuditEntry, AuditPage, AuditQuery, AuditVerify, AuditVerifyProgress, AuditVerifyRequest } from "../../shared/api/audit.ts";
import { requirePermission } from "../auth/middleware.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import { ApiError } from "../errors.ts";
import type { AuditLog } from "./types.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });

const ExportQuery = AuditQuery.omit({ cursor: true, limit: true }).extend({ format: z.enum(["ndjson", "csv"]).default("ndjson") });

/** Turns the async iterable of text chunks into a byte stream that pulls one chunk at a time. */
export function streamOf(chunks: AsyncIterable<string>): ReadableStream<Uint8Array> {
  const it = chunks[Symbol.asyncIterator]();
  const enc = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await it.next();
        if (done) controller.close();
        else controller.enqueue(enc.encode(value));
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel() {
      await it.return?.();
    },
  });
}

export function auditRoutes(deps: { audit: AuditLog }) {
  const read = requirePermission("audit:read");
  return createRouter()
    .openapi(
      createRoute({
        method: "get",
        path: "/audit",
        tags: ["audit"],
        summary: "Audit entries, newest first, filtered and searchable",
        middleware: [read],
        request: { query: AuditQuery },
        responses: { 200: json(AuditPage, "A page of entries"), ...errorResponses(400, 401, 403) },
      }),
      (c) => c.json(AuditPage.parse(deps.audit.query(c.req.valid("query"))), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/audit/export",
        tags: ["audit"],
        summary: "Every matching entry as a streamed NDJSON or CSV file (oldest first)",
        middleware: [read],
        request: { query: ExportQuery },
        responses: {
          200: {
            description: "The file",
            content: { "application/x-ndjson": { schema: z.string() }, "text/csv": { schema: z.string() } },
          },
          ...errorResponses(400, 401, 403),
        },
      }),
      (c) => {
        const { format, ...filters } = c.req.valid("query");
        const stamp = new Date().toISOString().replace(/[:.]/g, "-");
        const body = streamOf(deps.audit.export(filters, format));
        return new Response(body, {
          status: 200,
          headers: {
            "Content-Type": format === "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
            "Content-Disposition": `attachment; filename="team-mesh-audit-${stamp}.${format === "csv" ? "csv" : "ndjson"}"`,
            "Cache-Control": "no-store",
          },
        });
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/audit/verify",
        tags: ["audit"],
        summary: "Walk the hash chain and report the first broken link",
        middleware: [read],
        responses: { 200: json(AuditVerify, "Result"), ...errorResponses(401, 403) },
      }),
      async (c) => c.json(await deps.audit.verify(), 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/audit/verify",
        tags: ["audit"],
        summary: "Walk the hash chain; with an anchor from GET /audit/head, also prove the trail still holds it",
        middleware: [read],
        request: { body: { content: { "application/json": { schema: AuditVerifyRequest } }, required: true } },
        responses: { 200: json(AuditVerify, "Result (ok is false when the anchor does not hold)"), ...errorResponses(400, 401, 403) },
      }),
      async (c) => c.json(await deps.audit.verify(c.req.valid("json").anchor), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/audit/verify/progress",
        tags: ["audit"],
        summary: "How far the running verify has got, and the last result",
        middleware: [read],
        responses: { 200: json(AuditVerifyProgress, "Progress"), ...errorResponses(401, 403) },
      }),
      (c) => c.json(deps.audit.verifyProgress(), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/audit/head",
        tags: ["audit"],
        summary: "The trail's head (count + newest hash), signed: store it elsewhere, hand it back to verify later",
        middleware: [read],
        responses: { 200: json(AuditAnchor, "A signed anchor"), ...errorResponses(401, 403) },
      }),
      (c) => {
        c.header("Cache-Control", "no-store");
        return c.json(deps.audit.anchor(), 200);
      },
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/audit/{id}",
        tags: ["audit"],
        summary: "One audit entry",
        middleware: [read],
        request: { params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }) },
        responses: { 200: json(AuditEntry, "The entry"), ...errorResponses(400, 401, 403, 404) },
      }),
      (c) => {
        const { id } = c.req.valid("param");
        const entry = deps.audit.get(id);
        if (!entry) throw new ApiError("NOT_FOUND", `No audit entry ${id}`);
        return c.json(entry, 200);
      },
    );
}
