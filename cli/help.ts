// Usage text of every command. docs/cli.md says the same at more length.
import { EXIT } from "./exit-codes.ts";

export const USAGE: Record<string, string> = {
  whoami: "team-mesh whoami [--json]\n  Which agent is mine (MESH_MY_EMAIL or the dashboard setting) and which key is calling.",
  mcp: "team-mesh mcp [--url URL]\n  An MCP server on standard input/output (for an MCP client's config): the Team Mesh tools, called as MESH_API_KEY.",
  list: "team-mesh list [--tag TAG] [--json]\n  The registry: every teammate, its gateway, tags, last known state and whether a token is set.\n  --tag backend (or @backend): only the teammates with that tag.",
  ping: "team-mesh ping [--to NAME] [--timeout SEC] [--json]\n  Probe gateways now (everyone, or one teammate). Exit 1 when --to's agent is not online.",
  send:
    "team-mesh send --to NAME --message TEXT|- [--session S] [--rounds N] [--timeout SEC] [--dry-run] [--no-wait] [--no-fallback] [--allow-secret] [--json]\n" +
    "  Send to one teammate's agent and wait for its reply. --message - reads standard input.\n" +
    "  --rounds 1-10 (default 1), --timeout 1-600 s per round (default 60), --session (default main).\n" +
    "  --dry-run shows what would be sent; --no-wait returns the message id at once (see `status`).\n" +
    "  On a timeout it prints the message id and the command that fetches the late reply (`reply`).",
  broadcast:
    "team-mesh broadcast --message TEXT|- [--group TAG] [--timeout SEC] [--session S] [--dry-run] [--yes] [--no-fallback] [--allow-secret] [--json]\n" +
    "  --group backend (or @backend): only the teammates with that tag, resolved to exact recipients now.\n" +
    "  Send to every teammate but yourself. Shows recipients and skipped teammates and asks y/N on a\n" +
    "  terminal; without a terminal it needs --yes. With a requester key the broadcast waits for a human\n" +
    "  to confirm it in the dashboard (exit 0, the broadcast id is printed).",
  sync: "team-mesh sync [--json]\n  Re-read the registry source (MESH_REGISTRY_URL on the server) now.",
  import: "team-mesh import --registry registry.json [--tokens tokens.json] [--json]\n  Import agent-team-mesh's registry.json (and tokens.json). Re-importing updates, never duplicates.",
  audit: "team-mesh audit [--to NAME] [--limit N] [--json]\n  The newest audit entries (default 20, at most 500), optionally for one teammate.",
  "audit-verify":
    "team-mesh audit verify [--anchor FILE] [--json]\n" +
    "  Walk the audit hash chain. With --anchor (a file saved from `audit head`), also prove the trail still\n" +
    "  holds that entry unchanged. Exit 1 when the chain or the anchor does not hold.",
  "audit-head": "team-mesh audit head\n  The trail's head (count + newest hash), signed, as JSON: keep it where the server cannot write.",
  status: "team-mesh status MESSAGE_ID|BROADCAST_ID [--json]\n  Where a message or broadcast stands. Exit 1 when it ended in a failure, 4 when neither exists.",
  reply:
    "team-mesh reply MESSAGE_ID [--wait SEC] [--json]\n" +
    "  Fetch the late reply of a message whose rounds timed out (asks the agent's gateway again).\n" +
    "  --wait 0-3600 keeps asking for that long (default 0: ask once). Exit 0 with the reply,\n" +
    "  1 when there is none yet (or the message failed), 4 for an unknown message id.",
  backup:
    "team-mesh backup [--out FILE] [--data-dir DIR] [--json]\n" +
    "  Online backup of the database (safe while the server runs) into DIR/backups/team-mesh-<time>.db.\n" +
    "  The backup is useless without the vault key; never store the key beside it.",
  restore:
    "team-mesh restore FILE [--data-dir DIR] [--json]\n" +
    "  Replace the database with a backup. Stop the server first; it refuses while the database is in use.",
  "vault-rotate":
    "team-mesh vault rotate [--new-key BASE64|-] [--data-dir DIR] [--json]\n" +
    "  Re-encrypt every stored credential under a new vault key (server stopped). Key-file setups: a new\n" +
    "  vault.key is generated. MESH_VAULT_KEY setups: pass the new key (--new-key - reads it from stdin),\n" +
    "  then set MESH_VAULT_KEY to it before starting the server.",
  users:
    "team-mesh users list|create|role|disable|enable|reset-password|keys ... [--json]   (an admin key)\n" +
    "  users list                             every user, role, active/disabled\n" +
    "  users create USER --role ROLE [--password-stdin]\n" +
    "                                         without --password-stdin a one-time password is generated and printed\n" +
    "                                         once; the user must replace it at first sign-in (dashboard)\n" +
    "  users role USER ROLE                   admin, operator, requester or auditor (ends their sessions)\n" +
    "  users disable USER | enable USER       disabling stops their sessions and API keys at once\n" +
    "  users reset-password USER              a new one-time password, printed once; signs them out; they\n" +
    "                                         must choose a new one at the next sign-in (dashboard)\n" +
    "  users keys USER                        the API keys acting for USER\n" +
    "  The last active admin cannot be demoted or disabled (exit 1, LAST_ADMIN).",
  templates:
    "team-mesh templates list|show|create|delete|render ... [--json]\n" +
    "  templates list                         every template: id, name, broadcast ok / send only, variables\n" +
    "  templates show ID|NAME                 the body and its {{variables}}\n" +
    "  templates create NAME --body TEXT|-    --body - reads standard input (an operator or admin key)\n" +
    "  templates delete ID|NAME\n" +
    "  templates render ID|NAME [--to NAME] [--var KEY=VALUE]...\n" +
    "                                         print the filled text (sends nothing); without --to, for a\n" +
    "                                         broadcast: {{name}} {{display_name}} {{handle}} are refused",
  schedules:
    "team-mesh schedules list|show|create|edit|delete|approve|revoke|pause|resume ... [--json]\n" +
    "  schedules list | show ID               schedules, their next runs, pre-approval and last runs\n" +
    "  schedules create --name N (--message TEXT|- | --template ID|NAME [--var K=V]...)\n" +
    "                   (--cron EXPR | --at TIME) [--tz ZONE] [--group TAG]... [--session S] [--timeout SEC]\n" +
    "                                         --cron: 5 or 6 fields, read in --tz (IANA, default UTC);\n" +
    "                                         --at: once, e.g. 2026-12-08T09:00 (local) or ...Z; no --group: everyone\n" +
    "  schedules edit ID [the create flags] [--everyone]\n" +
    "                                         only what is given changes; a new text or group ends a\n" +
    "                                         pre-approval, a new time or name keeps it\n" +
    "  schedules pause ID | resume ID [--at TIME]   a one-off whose time passed needs --at to resume\n" +
    "  schedules delete ID\n" +
    "  schedules approve ID | revoke ID       pre-approve exactly this text and the recipients it resolves to\n" +
    "                                         now, so runs need no confirmation (an admin key; not in the skill)\n" +
    "  Each run is a broadcast awaiting confirmation in the dashboard unless pre-approved.",
  "reset-password":
    "team-mesh admin reset-password USER [--password-stdin] [--data-dir DIR]\n" +
    "  Set a new password for a user (asks twice on a terminal; --password-stdin reads one line) and\n" +
    "  sign that user out everywhere. Works on the database directly.",
};

const USERS_LINE = "  users list|create|role|...  manage users (admin key; `team-mesh help users`)\n";

export function mainUsage(admin = true): string {
  return `team-mesh: talk to your teammates' OpenClaw agents through a Team Mesh server

Usage: team-mesh <command> [flags]

API commands (MESH_URL, default http://127.0.0.1:8790; MESH_API_KEY, an API key from the dashboard):
  whoami                      my agent and the calling key
  list                        teammates, gateways, state
  ping [--to NAME]            probe gateways now
  send --to NAME --message M  send and wait for the reply (--session --rounds --timeout --dry-run --no-wait)
  broadcast --message M       send to everyone but me, after confirmation (--dry-run --yes --timeout)
  sync                        re-read the registry source
  import --registry FILE      import agent-team-mesh's registry.json [--tokens tokens.json]
  audit [--to NAME]           recent audit entries [--limit N]
  audit verify [--anchor F]   check the audit hash chain (and an anchor kept elsewhere)
  audit head                  the signed head of the trail, to keep as an anchor
  status ID                   a message's or broadcast's state
  reply ID [--wait SEC]       fetch the late reply of a timed-out message
  mcp                         serve the Team Mesh tools to an MCP client over stdio
  templates list|show|...     message templates (\`team-mesh help templates\`)
  schedules list|show|...     scheduled broadcasts (\`team-mesh help schedules\`)
${admin ? USERS_LINE : ""}
Local admin commands (open the database in MESH_DATA_DIR or --data-dir; no server needed):
  backup [--out FILE]         online backup of the database
  restore FILE                restore a backup (server stopped)
  vault rotate [--new-key K]  re-encrypt credentials under a new vault key (server stopped)
  admin reset-password USER   set a user's password

Every API command takes --json (machine output) and --url URL (instead of MESH_URL).
\`team-mesh help <command>\` or \`team-mesh <command> --help\` shows a command's flags.

Exit codes: ${EXIT.OK} ok, ${EXIT.FAILED} failed (agent timeout/unreachable/...), ${EXIT.USAGE} usage error, ${EXIT.AUTH} auth error (401/403, no key),
${EXIT.NOT_FOUND} not found or ambiguous, ${EXIT.UNREACHABLE} server unreachable, ${EXIT.TOO_LARGE} message too large.`;
}

export function usageFor(topic: string | undefined, admin = true): string {
  if (!topic || (topic === "users" && !admin)) return mainUsage(admin);
  const key = topic === "vault" ? "vault-rotate" : topic === "admin" ? "reset-password" : topic;
  return USAGE[key] ?? mainUsage(admin);
}
