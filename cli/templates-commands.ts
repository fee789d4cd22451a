// `team-mesh templates list|show|create|delete|render`: the message templates API. A template is
// named by its id or its exact name; render sends nothing, it prints the filled text.
import { bodyOf } from "../shared/api/fetch.ts";
import type { Template } from "../shared/api/templates.ts";
import { UsageError, type Command } from "./args.ts";
import { ApiError, type ApiClient } from "./client.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { CliIO } from "./io.ts";

type TemplatesCommand = Extract<Command, { name: "templates" }>;

export function templateLine(t: Template): string {
  const vars = t.variables.length ? t.variables.map((v) => `{{${v}}}`).join(" ") : "no variables";
  return `${String(t.id).padStart(4)}  ${t.name.padEnd(24)} ${t.broadcastable ? "broadcast ok" : "send only   "}  ${vars}`;
}

function templateDetail(t: Template): string {
  return [
    `Template ${t.id}: ${t.name}`,
    `Variables: ${t.variables.length ? t.variables.map((v) => `{{${v}}}`).join(", ") : "none"}`,
    `Broadcast: ${t.broadcastable ? "yes" : "no (uses recipient variables: Send only)"}`,
    `By ${t.createdBy.name}, updated ${t.updatedAt.slice(0, 16).replace("T", " ")}`,
    "",
    t.body,
  ].join("\n");
}

/** A template's id: the number given, or the id of the template with exactly that name. */
export async function templateIdOf(client: ApiClient, ref: string): Promise<number> {
  if (/^[1-9]\d*$/.test(ref)) return Number(ref);
  const { items } = await bodyOf(await client.api.templates.$get({}, client.opts()));
  const hit = items.find((t) => t.name === ref);
  if (!hit) throw new ApiError("TEMPLATE_NOT_FOUND", `No template named ${JSON.stringify(ref)} (team-mesh templates list)`, 404);
  return hit.id;
}

/** Fills a template for a broadcast (no recipient variables): the one text every recipient gets. */
export async function renderForBroadcast(client: ApiClient, ref: string, vars: Record<string, string>): Promise<string> {
  const id = await templateIdOf(client, ref);
  const r = await bodyOf(await client.api.templates[":id"].render.$post({ param: { id: String(id) }, json: { vars } }, client.opts()));
  return r.message;
}

export async function runTemplatesCommand(cmd: TemplatesCommand, ctx: { io: CliIO; client: ApiClient; json: boolean }): Promise<ExitCode> {
  const { io, client } = ctx;
  const api = client.api;
  const out = (human: string, machine: unknown) => io.stdout(ctx.json ? JSON.stringify(machine, null, 2) : human);
  const param = async () => ({ id: String(await templateIdOf(client, cmd.ref)) });
  switch (cmd.action) {
    case "list": {
      const r = await bodyOf(await api.templates.$get({}, client.opts()));
      out(r.items.length ? r.items.map(templateLine).join("\n") : "No templates.", r);
      return EXIT.OK;
    }
    case "show": {
      const t = await bodyOf(await api.templates[":id"].$get({ param: await param() }, client.opts()));
      out(templateDetail(t), t);
      return EXIT.OK;
    }
    case "create": {
      let body = cmd.body as string;
      if (body === "-") {
        body = (await io.readStdin()).replace(/\r?\n$/, "");
        if (!body) throw new UsageError("--body -: standard input was empty", "templates");
      }
      const t = await bodyOf(await api.templates.$post({ json: { name: cmd.ref, body } }, client.opts()));
      out(`Created template ${t.id} (${t.name}); variables: ${t.variables.length ? t.variables.map((v) => `{{${v}}}`).join(", ") : "none"}.`, t);
      return EXIT.OK;
    }
    case "delete": {
      const p = await param();
      await api.templates[":id"].$delete({ param: p }, client.opts()).then(bodyOf);
      out(`Deleted template ${p.id}.`, { deleted: Number(p.id) });
      return EXIT.OK;
    }
    case "render": {
      const json = { vars: cmd.vars, ...(cmd.to !== undefined ? { to: cmd.to } : {}) };
      const r = await bodyOf(await api.templates[":id"].render.$post({ param: await param(), json }, client.opts()));
      out(r.message, r);
      return EXIT.OK;
    }
  }
}
