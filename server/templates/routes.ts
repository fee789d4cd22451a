// REST routes /templates (mounted under /api/v1): list, read and fill need "send"; changes "templates:write".
import { createRoute } from "@hono/zod-openapi";
import { z } from "zod";
import { Template, TemplateCreate, TemplateRender, TemplateRendered, TemplateUpdate } from "../../shared/api/templates.ts";
import { principalOf, requirePermission } from "../auth/middleware.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import { createTemplates, type TemplatesDeps } from "./service.ts";

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });
const IdParam = z.object({ id: z.coerce.number().int().positive() });

export function templatesRoutes(deps: TemplatesDeps) {
  const svc = createTemplates(deps);
  const read = requirePermission("send");
  const write = requirePermission("templates:write");
  return createRouter()
    .openapi(
      createRoute({ method: "get", path: "/templates", tags: ["templates"], middleware: [read], responses: { 200: json(z.object({ items: z.array(Template) }), "Templates, by name"), ...errorResponses(401, 403) } }),
      (c) => c.json({ items: svc.list() }, 200),
    )
    .openapi(
      createRoute({ method: "post", path: "/templates", tags: ["templates"], middleware: [write], request: body(TemplateCreate), responses: { 201: json(Template, "Created"), ...errorResponses(400, 401, 403, 409) } }),
      (c) => c.json(svc.create(c.req.valid("json"), principalOf(c)), 201),
    )
    .openapi(
      createRoute({ method: "get", path: "/templates/{id}", tags: ["templates"], middleware: [read], request: { params: IdParam }, responses: { 200: json(Template, "The template"), ...errorResponses(400, 401, 403, 404) } }),
      (c) => c.json(svc.get(c.req.valid("param").id), 200),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/templates/{id}",
        tags: ["templates"],
        middleware: [write],
        request: { params: IdParam, ...body(TemplateUpdate) },
        responses: { 200: json(Template, "Updated"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => c.json(svc.update(c.req.valid("param").id, c.req.valid("json"), principalOf(c)), 200),
    )
    .openapi(
      createRoute({ method: "delete", path: "/templates/{id}", tags: ["templates"], middleware: [write], request: { params: IdParam }, responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404) } }),
      (c) => {
        svc.remove(c.req.valid("param").id, principalOf(c));
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/templates/{id}/render",
        tags: ["templates"],
        summary: "Fill the variables: for one teammate (`to`) or for a broadcast (no recipient variables)",
        middleware: [read],
        request: { params: IdParam, ...body(TemplateRender) },
        responses: { 200: json(TemplateRendered, "The text to send (nothing is sent)"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => {
        const { to, vars } = c.req.valid("json");
        return c.json(svc.render(c.req.valid("param").id, vars, to), 200);
      },
    );
}
