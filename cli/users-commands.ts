// `team-mesh users list|create|role|disable|enable|reset-password|keys` (an admin key): the
// users admin API. A generated password is printed once, on stdout (or in --json), never logged.
import { bodyOf } from "../shared/api/fetch.ts";
import type { ApiKey, User } from "../shared/api/auth.ts";
import { UsageError, type Command } from "./args.ts";
import type { ApiClient } from "./client.ts";
import { EXIT, type ExitCode } from "./exit-codes.ts";
import type { CliIO } from "./io.ts";

type UsersCommand = Extract<Command, { name: "users" }>;

function userLine(u: User): string {
  return `${u.username.padEnd(20)} ${u.role.padEnd(10)} ${u.disabled ? "disabled" : "active  "} since ${u.createdAt.slice(0, 10)}`;
}

function keyLine(k: ApiKey): string {
  const state = k.revokedAt ? `revoked ${k.revokedAt.slice(0, 10)}` : k.expiresAt && Date.parse(k.expiresAt) <= Date.now() ? "expired" : "active";
  return `${k.name.padEnd(24)} ${k.role.padEnd(10)} ${k.prefix}…  ${state}, last used ${k.lastUsedAt ? k.lastUsedAt.slice(0, 16).replace("T", " ") : "never"}`;
}

export async function runUsersCommand(cmd: UsersCommand, ctx: { io: CliIO; client: ApiClient; json: boolean }): Promise<ExitCode> {
  const { io, client } = ctx;
  const api = client.api;
  const out = (human: string, machine: unknown) => io.stdout(ctx.json ? JSON.stringify(machine, null, 2) : human);
  const param = { username: cmd.username };
  switch (cmd.action) {
    case "list": {
      const r = await bodyOf(await api.users.$get({}, client.opts()));
      out(r.items.length ? r.items.map(userLine).join("\n") : "No users.", r);
      return EXIT.OK;
    }
    case "create": {
      let password: string | undefined;
      if (cmd.passwordStdin) {
        password = (await io.readStdin()).replace(/\r?\n$/, "");
        if (!password) throw new UsageError("--password-stdin: standard input was empty", "users");
      }
      const json = { username: cmd.username, role: cmd.role as NonNullable<UsersCommand["role"]>, ...(password === undefined ? {} : { password }) };
      const u = await bodyOf(await api.users.$post({ json }, client.opts()));
      const mustChange = u.mustChangePassword ? `\n${u.username} must choose a new password at first sign-in.` : "";
      out(
        u.oneTimePassword
          ? `Created ${u.username} (${u.role}). One-time password, shown only now: ${u.oneTimePassword}\nGive it to ${u.username} over a private channel.${mustChange}`
          : `Created ${u.username} (${u.role}).${mustChange}`,
        u,
      );
      return EXIT.OK;
    }
    case "role": {
      const u = await bodyOf(await api.users[":username"].$patch({ param, json: { role: cmd.role } }, client.opts()));
      out(`${u.username} is now ${u.role}; their sessions were ended.`, u);
      return EXIT.OK;
    }
    case "disable":
    case "enable": {
      const u = await bodyOf(await api.users[":username"].$patch({ param, json: { disabled: cmd.action === "disable" } }, client.opts()));
      out(u.disabled ? `${u.username} is disabled: their sessions and API keys stopped working.` : `${u.username} is enabled again (keys revoked when disabled stay revoked).`, u);
      return EXIT.OK;
    }
    case "reset-password": {
      const r = await bodyOf(await api.users[":username"]["reset-password"].$post({ param }, client.opts()));
      out(
        `New one-time password for ${r.username}, shown only now: ${r.oneTimePassword}\n${r.sessionsEnded} session(s) signed out. ${r.username} must choose a new password at the next sign-in.`,
        r,
      );
      return EXIT.OK;
    }
    case "keys": {
      const r = await bodyOf(await api.users[":username"]["api-keys"].$get({ param }, client.opts()));
      out(r.items.length ? r.items.map(keyLine).join("\n") : `${cmd.username} has no API keys.`, r);
      return EXIT.OK;
    }
  }
}
