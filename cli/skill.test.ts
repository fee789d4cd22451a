// The OpenClaw skill: SKILL.md's front matter parses and carries the old skill's trigger phrases,
// it documents CLI commands only and the CLI's exit codes exactly, the bundled CLI
// (skill/team-mesh/team-mesh.mjs) is what the sources build, and it runs from a copy of the skill
// folder (no repository, no node_modules) against a stand-in API.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { runProcess, type ProcessResult } from "../test/support/run-process.ts";
import { broadcast, message, teammate, useFakeApi, type FakeApi } from "../test/support/cli-fake-api.ts";
import { COMMAND_NAMES } from "./args.ts";
import { EXIT } from "./exit-codes.ts";

const ROOT = join(import.meta.dirname, "..");
const DIR = join(ROOT, "skill/team-mesh");
const KEY = "tm_skill-test-key-0123456789";

function skillMd(): { front: Record<string, unknown>; body: string } {
  const text = readFileSync(join(DIR, "SKILL.md"), "utf8");
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error("SKILL.md has no YAML front matter");
  return { front: parseYaml(m[1] as string) as Record<string, unknown>, body: m[2] as string };
}

/** Rows `| N | meaning |` of a markdown table that follows `heading` (the first table after it). */
function exitTable(text: string, heading: RegExp): Map<number, string> {
  const lines = text.slice(text.search(heading)).split("\n");
  const start = lines.findIndex((l) => l.startsWith("|"));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith("|"));
  const rows = new Map<number, string>();
  for (const l of lines.slice(start, end)) {
    const m = /^\| (\d+) \| (.+) \|$/.exec(l);
    if (m) rows.set(Number(m[1]), m[2] as string);
  }
  return rows;
}

/** What the meaning of each exit code starts with, in SKILL.md and docs/cli.md alike. */
const MEANING: Record<keyof typeof EXIT, RegExp> = {
  OK: /^ok\b/,
  FAILED: /^(failed|the request reached the server but did not succeed)\b/,
  USAGE: /^usage error\b/,
  AUTH: /^auth error\b/,
  NOT_FOUND: /^not found\b/,
  UNREACHABLE: /^(the Team Mesh )?server (is )?unreachable\b/,
  TOO_LARGE: /^message too large\b/,
};

describe("SKILL.md", () => {
  it("front matter: name matches the folder, the old skill's trigger phrases, runtime requirements", () => {
    const { front } = skillMd();
    expect(front.name).toBe("team-mesh");
    const description = String(front.description).toLowerCase();
    for (const phrase of ["message my teammate", "ask <name>'s agent", "broadcast to the team", "who is online"]) {
      expect(description, phrase).toContain(phrase);
    }
    const openclaw = (front.metadata as { openclaw: { requires: { bins: string[]; env: string[] }; primaryEnv: string } }).openclaw;
    expect(openclaw.requires.bins).toEqual(["node"]);
    expect(openclaw.primaryEnv).toBe("MESH_API_KEY");
  });

  it("runs the bundled CLI, documents the old skill's commands plus reply, each a real CLI command", () => {
    const { body } = skillMd();
    expect(body).toContain("node {baseDir}/team-mesh.mjs");
    expect(body).not.toMatch(/mesh\.sh|curl/);
    const documented = [...body.matchAll(/^\| `team-mesh ([a-z]+)/gm)].map((m) => m[1] as string);
    expect(documented).toEqual(["whoami", "list", "ping", "send", "reply", "broadcast", "status", "sync", "help"]);
    for (const c of documented) expect([...COMMAND_NAMES, "help"], c).toContain(c);
    expect(body).toMatch(/awaiting confirmation/i);
  });

  it("its exit codes are exactly the CLI's (cli/exit-codes.ts), as in docs/cli.md", () => {
    const skill = exitTable(skillMd().body, /^Exit codes/m);
    const docs = exitTable(readFileSync(join(ROOT, "docs/cli.md"), "utf8"), /^## Exit codes/m);
    for (const [name, table] of [["SKILL.md", skill], ["docs/cli.md", docs]] as const) {
      expect([...table.keys()], name).toEqual(Object.values(EXIT));
      for (const [key, code] of Object.entries(EXIT)) expect(table.get(code), `${name}: exit ${code}`).toMatch(MEANING[key as keyof typeof EXIT]);
    }
  });
});

describe("the bundle", () => {
  it("skill/team-mesh/team-mesh.mjs is what scripts/build-skill.mjs builds from the sources", async () => {
    const r = await runProcess(process.execPath, [join(ROOT, "scripts/build-skill.mjs"), "--check"], { cwd: ROOT, timeoutMs: 60_000 });
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
  });
});

describe("team-mesh.mjs from a copy of the skill folder", () => {
  let api: FakeApi;
  let env: Record<string, string>;
  let dir: string;
  useFakeApi(KEY, (a, e) => {
    api = a;
    env = e;
  });
  beforeAll(() => {
    // Only the skill's own files: nothing of the repository or node_modules to lean on.
    dir = mkdtempSync(join(tmpdir(), "skill-copy-"));
    for (const f of ["SKILL.md", "team-mesh.mjs"]) copyFileSync(join(DIR, f), join(dir, f));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function skill(args: string[], extra: Record<string, string> = {}, input = ""): Promise<ProcessResult> {
    const r = await runProcess(process.execPath, [join(dir, "team-mesh.mjs"), ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent-home", ...env, ...extra },
      input,
      timeoutMs: 30_000,
    });
    expect(r.out + r.err).not.toContain(KEY);
    return r;
  }

  it("help lists every documented command; --version works without package.json", async () => {
    const r = await skill(["help"]);
    expect(r.code).toBe(0);
    for (const c of ["whoami", "list", "ping", "send", "reply ID", "broadcast", "status ID", "sync"]) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    const v = await skill(["--version"]);
    expect(v.out.trim()).toBe(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version);
  });

  it("usage errors exit 2 without calling the server; local admin commands are not in the skill", async () => {
    expect((await skill(["frobnicate"])).code).toBe(EXIT.USAGE);
    expect((await skill(["send", "--message", "hi"])).code).toBe(EXIT.USAGE);
    expect((await skill(["send", "--to", "alice", "-m", "x", "--rounds", "11"])).code).toBe(EXIT.USAGE);
    const backup = await skill(["backup"]);
    expect(backup.code).toBe(EXIT.USAGE);
    expect(backup.err).toContain("not part of the skill");
    const users = await skill(["users", "list"]);
    expect(users.code).toBe(EXIT.USAGE);
    expect(users.err).toContain("users is an admin command, not part of the skill");
    expect((await skill(["help"])).out).not.toMatch(/^ {2}users/m);
    expect(api.requests).toHaveLength(0);
  });

  it("no key: exit 3; the key from MESH_API_KEY_FILE", async () => {
    const r = await skill(["list"], { MESH_API_KEY: "" });
    expect(r.code).toBe(EXIT.AUTH);
    expect(api.requests).toHaveLength(0);
    const keyFile = join(dir, "k");
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    api.on("GET", "/api/v1/teammates", { status: 200, body: { items: [teammate("alice")] } });
    const ok = await skill(["list", "--json"], { MESH_API_KEY: "", MESH_API_KEY_FILE: keyFile });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.out).items[0].handle).toBe("alice");
    expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("send: the flags as JSON, the reply printed; a timeout prints the reply command, which fetches it", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("replied", "All green.") });
    const text = '#ops "quoted"\nsecond line';
    const r = await skill(["send", "--to", "alice", "--message", text, "--rounds", "2", "--timeout", "30"]);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.body).toMatchObject({ to: "alice", message: text, session: "main", rounds: 2, timeoutSec: 30, dryRun: false });
    expect(r.out).toContain("All green.");

    api.on("POST", "/api/v1/messages", { status: 200, body: message("timeout", null, { id: "msg_5" }) });
    const late = await skill(["send", "--to", "alice", "--message", "-"], {}, "from stdin");
    expect(late.code).toBe(EXIT.FAILED);
    expect(late.out).toContain("team-mesh reply msg_5 --wait 60");
    api.on("POST", "/api/v1/messages/msg_5/late-reply", { status: 200, body: message("replied", "sorry, slow", { id: "msg_5" }) });
    const got = await skill(["reply", "msg_5", "--wait", "60"]);
    expect(got.code).toBe(0);
    expect(got.out).toContain("sorry, slow");
  });

  it("error answers map to the CLI's exit codes", async () => {
    const cases: [number, string, number][] = [
      [404, "TEAMMATE_NOT_FOUND", EXIT.NOT_FOUND],
      [409, "AMBIGUOUS_TEAMMATE", EXIT.NOT_FOUND],
      [413, "MESSAGE_TOO_LARGE", EXIT.TOO_LARGE],
      [401, "UNAUTHENTICATED", EXIT.AUTH],
      [403, "FORBIDDEN", EXIT.AUTH],
      [502, "GATEWAY_UNREACHABLE", EXIT.FAILED],
    ];
    for (const [status, code, exit] of cases) {
      api.on("POST", "/api/v1/messages", { status, body: { error: { code, message: code } } });
      const r = await skill(["send", "--to", "x", "-m", "hi"]);
      expect(r.code, code).toBe(exit);
      expect(r.err).toContain(code);
    }
    const unreachable = await skill(["list"], { MESH_URL: "http://127.0.0.1:1" });
    expect(unreachable.code).toBe(EXIT.UNREACHABLE);
  });

  it("broadcast: created without --yes, reported as awaiting confirmation, never confirmed (even with a token)", async () => {
    api.on("POST", "/api/v1/broadcasts", { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "tok" }) });
    const r = await skill(["broadcast", "--message", "hello team"]);
    expect(r.code).toBe(0);
    expect(api.requests.map((q) => q.path)).toEqual(["/api/v1/broadcasts"]);
    expect(api.requests[0]?.body).toMatchObject({ message: "hello team", dryRun: false });
    expect(r.out).toContain("Broadcast bc_1 is awaiting confirmation in the dashboard");
    const j = await skill(["broadcast", "--message", "hello team", "--yes", "--json"]);
    expect(JSON.parse(j.out)).toMatchObject({ id: "bc_1", awaitingConfirmation: true, confirmationToken: null });
    expect(api.requests.filter((q) => q.path.includes("/confirm"))).toHaveLength(0);
  });

  it("status: a message id, falling back to a broadcast id; an unknown id is exit 4", async () => {
    api.on("GET", "/api/v1/messages/bc_1", { status: 404, body: { error: { code: "MESSAGE_NOT_FOUND", message: "no" } } });
    api.on("GET", "/api/v1/broadcasts/bc_1", { status: 200, body: broadcast("completed") });
    const r = await skill(["status", "bc_1", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).state).toBe("completed");
    const none = await skill(["status", "zzz"]);
    expect(none.code).toBe(EXIT.NOT_FOUND);
    expect(none.err).toContain("No message or broadcast with id zzz");
  });

  it("runs with the key file in its default place, ~/.openclaw/credentials/team-mesh.key", async () => {
    const home = join(dir, "home");
    mkdirSync(join(home, ".openclaw/credentials"), { recursive: true });
    writeFileSync(join(home, ".openclaw/credentials/team-mesh.key"), KEY, { mode: 0o600 });
    api.on("GET", "/api/v1/teammates", { status: 200, body: { items: [] } });
    const r = await skill(["list"], { MESH_API_KEY: "", HOME: home });
    expect(r.code).toBe(0);
  });
});
