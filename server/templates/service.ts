// Message templates: stored bodies with `{{variables}}`, filled on request. Filling for one
// teammate takes name/display_name/handle from the registry; filling for a broadcast refuses
// those (one confirmed text goes to every recipient — see docs/templates.md).
import { Template as TemplateSchema, type Template, type TemplateCreate, type TemplateUpdate } from "../../shared/api/templates.ts";
import type { AuditLog } from "../audit/types.ts";
import type { Principal } from "../auth/types.ts";
import type { Db } from "../db/connection.ts";
import { asc, eq } from "../db/drizzle.ts";
import { messageTemplates } from "../db/schema.ts";
import { ApiError } from "../errors.ts";
import { actorOf } from "../messaging/actor.ts";
import type { Registry } from "../teammates/types.ts";
import { recipientVariablesOf, renderTemplate, variablesOf } from "./render.ts";

type Row = typeof messageTemplates.$inferSelect;

export interface TemplatesDeps {
  db: Db;
  registry: Pick<Registry, "resolve">;
  audit: Pick<AuditLog, "append">;
  now?: () => number;
}

export function createTemplates({ db, registry, audit, now = Date.now }: TemplatesDeps) {
  const toApi = (r: Row): Template => {
    const variables = variablesOf(r.body);
    return TemplateSchema.parse({
      id: r.id,
      name: r.name,
      body: r.body,
      variables,
      broadcastable: recipientVariablesOf(variables).length === 0,
      createdBy: r.createdBy,
      createdAt: new Date(r.createdAt).toISOString(),
      updatedAt: new Date(r.updatedAt).toISOString(),
    });
  };
  const row = (id: number): Row => {
    const r = db.select().from(messageTemplates).where(eq(messageTemplates.id, id)).get();
    if (!r) throw new ApiError("TEMPLATE_NOT_FOUND", `No template ${id}`, { id });
    return r;
  };
  const nameFree = (name: string, except: number | null) => {
    const other = db.select({ id: messageTemplates.id }).from(messageTemplates).where(eq(messageTemplates.name, name)).get();
    if (other && other.id !== except) throw new ApiError("TEMPLATE_NAME_TAKEN", `A template named "${name}" exists`, { name });
  };
  const record = (p: Principal, action: string, r: Pick<Row, "id" | "name">) =>
    audit.append({ actor: p.label, kind: "settings", outcome: "ok", teammate: null, gatewayUrl: null, details: { action: `template.${action}`, templateId: r.id, name: r.name } });

  return {
    list: (): Template[] => db.select().from(messageTemplates).orderBy(asc(messageTemplates.name)).all().map(toApi),
    get: (id: number): Template => toApi(row(id)),
    create(input: TemplateCreate, p: Principal): Template {
      variablesOf(input.body); // malformed placeholders are refused before anything is stored
      const t = now();
      const id = db.$client
        .transaction(() => {
          nameFree(input.name, null);
          return Number(db.insert(messageTemplates).values({ name: input.name, body: input.body, createdBy: actorOf(p), createdAt: t, updatedAt: t }).run().lastInsertRowid);
        })
        .immediate();
      const r = row(id);
      record(p, "create", r);
      return toApi(r);
    },
    update(id: number, patch: TemplateUpdate, p: Principal): Template {
      if (patch.body !== undefined) variablesOf(patch.body);
      db.$client
        .transaction(() => {
          const cur = row(id);
          if (patch.name !== undefined && patch.name !== cur.name) nameFree(patch.name, id);
          db.update(messageTemplates).set({ name: patch.name ?? cur.name, body: patch.body ?? cur.body, updatedAt: now() }).where(eq(messageTemplates.id, id)).run();
        })
        .immediate();
      const r = row(id);
      record(p, "update", r);
      return toApi(r);
    },
    remove(id: number, p: Principal): void {
      const r = row(id);
      db.delete(messageTemplates).where(eq(messageTemplates.id, id)).run();
      record(p, "delete", r);
    },
    /** `to`: fill for that teammate (Send); omitted: a broadcast's one text. */
    render(id: number, vars: Record<string, string>, to: string | undefined): { message: string; templateId: number; to: string | null } {
      const r = row(id);
      if (to === undefined) return { message: renderTemplate(r.body, vars, null), templateId: id, to: null };
      const t = registry.resolve(to);
      const message = renderTemplate(r.body, vars, { name: t.name, display_name: t.displayName ?? t.name, handle: t.handle });
      return { message, templateId: id, to: t.handle };
    },
  };
}

export type TemplatesService = ReturnType<typeof createTemplates>;
