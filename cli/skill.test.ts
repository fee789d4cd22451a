// The OpenClaw skill: SKILL.md's front matter parses and carries the old skill's trigger phrases,
// it documents exactly the commands mesh.sh implements, and mesh.sh works against a stand-in API.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { runProcess, type ProcessResult } from "../test/support/run-process.ts";
import { broadcast, message, teammate, useFakeApi, type FakeApi } from "../test/support/cli-fake-api.ts";

const DIR = join(import.meta.dirname, "../skill/team-mesh");
const SCRIPT = join(DIR, "mesh.sh");
const KEY = "tm_skill-test-key-0123456789";

function skillMd(): { front: Record<string, unknown>; body: string } {
  const text = readFileSync(join(DIR, "SKILL.md"), "utf8");
  const m = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  if (!m) throw new Error("SKILL.md has no YAML front matter");
  return { front: parseYaml(m[1] as string) as Record<string, unknown>, body: m[2] as string };
}

/** The commands mesh.sh dispatches on (its top-level case labels). */
function scriptCommands(): string[] {
  const text = readFileSync(SCRIPT, "utf8");
  const main = text.slice(text.indexOf('case "$cmd" in'));
  return [...main.matchAll(/^ {2}([a-z][a-z |-]*)\)$/gm)].map((m) => (m[1] as string).split("|")[0]!.trim());
}

function mesh(args: string[], env: Record<string, string> = {}, input = ""): Promise<ProcessResult> {
  return runProcess("bash", [SCRIPT, ...args], { env: { PATH: process.env.PATH ?? "", HOME: "/nonexistent-home", ...env }, input, timeoutMs: 30_000 });
}

describe("SKILL.md", () => {
  it("front matter: name matches the folder, the old skill's trigger phrases, runtime requirements", () => {
    const { front } = skillMd();
    expect(front.name).toBe("team-mesh");
    const description = String(front.description).toLowerCase();
    for (const phrase of ["message my teammate", "ask <name>'s agent", "broadcast to the team", "who is online"]) {
      expect(description, phrase).toContain(phrase);
    }
    const openclaw = (front.metadata as { openclaw: { requires: { bins: string[]; env: string[] }; primaryEnv: string } }).openclaw;
    expect(openclaw.requires.bins).toEqual(expect.arrayContaining(["curl", "node"]));
    expect(openclaw.primaryEnv).toBe("MESH_API_KEY");
  });

  it("documents every command mesh.sh implements, and no other", () => {
    const implemented = scriptCommands();
    expect(implemented).toEqual(["help", "whoami", "list", "ping", "send", "broadcast", "status", "sync"]);
    const { body } = skillMd();
    const documented = [...body.matchAll(/^\| `mesh\.sh ([a-z]+)/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...implemented].sort());
    expect(body).toMatch(/awaiting confirmation/i);
  });
});

describe("mesh.sh", () => {
  let api: FakeApi;
  let env: Record<string, string>;
  useFakeApi(KEY, (a, e) => {
    api = a;
    env = e;
  });

  it("--help and help print the usage with every command, exit 0", async () => {
    for (const arg of ["--help", "help"]) {
      const r = await mesh([arg]);
      expect(r.code).toBe(0);
      for (const c of scriptCommands().filter((c) => c !== "help")) expect(r.out).toMatch(new RegExp(`^  ${c}\\b`, "m"));
    }
  });

  it("usage errors exit 2 without calling the server", async () => {
    expect((await mesh(["frobnicate"], env)).code).toBe(2);
    expect((await mesh(["send", "--message", "hi"], env)).code).toBe(2);
    expect((await mesh(["send", "--to", "alice"], env)).code).toBe(2);
    expect((await mesh(["send", "--to", "alice", "-m", "x", "--rounds", "11"], env)).code).toBe(2);
    expect((await mesh(["broadcast", "--bogus"], env)).code).toBe(2);
    expect(api.requests).toHaveLength(0);
  });

  it("no key: exit 3", async () => {
    const r = await mesh(["list"], { MESH_URL: api.url });
    expect(r.code).toBe(3);
    expect(api.requests).toHaveLength(0);
  });

  it("send: JSON body (text with quotes, newlines and a leading #), Bearer header, the reply printed", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("replied", "All green.") });
    const text = '#ops "quoted"\nsecond line';
    const r = await mesh(["send", "--to", "alice", "--message", text, "--rounds", "2", "--timeout", "30"], env);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(api.requests[0]?.body).toEqual({ to: "alice", message: text, session: "main", rounds: 2, timeoutSec: 30, dryRun: false });
    expect(r.out).toContain("[alice, round 1] replied");
    expect(r.out).toContain("All green.");
    expect(r.out + r.err).not.toContain(KEY);
  });

  it("send --message - reads standard input; a timeout exits 1", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("timeout", null) });
    const r = await mesh(["send", "--to", "alice", "--message", "-"], env, "from stdin");
    expect(api.requests[0]?.body.message).toBe("from stdin");
    expect(r.code).toBe(1);
    expect(r.out).toContain("error: no reply within 60 s (GATEWAY_TIMEOUT)");
  });

  it("error answers map to the CLI's exit codes", async () => {
    const cases: [number, string, number][] = [
      [404, "TEAMMATE_NOT_FOUND", 4],
      [409, "AMBIGUOUS_TEAMMATE", 4],
      [413, "MESSAGE_TOO_LARGE", 6],
      [401, "UNAUTHENTICATED", 3],
      [403, "FORBIDDEN", 3],
      [502, "GATEWAY_UNREACHABLE", 1],
    ];
    for (const [status, code, exit] of cases) {
      api.on("POST", "/api/v1/messages", { status, body: { error: { code, message: code } } });
      const r = await mesh(["send", "--to", "x", "-m", "hi"], env);
      expect(r.code, code).toBe(exit);
      expect(r.err).toContain(code);
    }
  });

  it("server unreachable: exit 5", async () => {
    const r = await mesh(["list"], { MESH_URL: "http://127.0.0.1:1", MESH_API_KEY: KEY });
    expect(r.code).toBe(5);
    expect(r.err).toContain("cannot reach Team Mesh");
  });

  it("broadcast: created, reported as awaiting confirmation, never confirmed (even with a token)", async () => {
    api.on("POST", "/api/v1/broadcasts", { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "tok" }) });
    const r = await mesh(["broadcast", "--message", "hello team", "--yes"], env);
    expect(r.code).toBe(0);
    expect(api.requests.map((q) => q.path)).toEqual(["/api/v1/broadcasts"]);
    expect(api.requests[0]?.body).toEqual({ message: "hello team", timeoutSec: 60, dryRun: false });
    expect(r.out).toContain("broadcast bc_1 is awaiting confirmation in the Team Mesh dashboard");
    expect(r.out).toContain("skipped: me (self), carol (no_credentials)");
  });

  it("list and ping: one line per teammate; ping --to exits 1 when that agent is not online", async () => {
    api.on("GET", "/api/v1/teammates", { status: 200, body: { items: [teammate("alice"), teammate("bob", "unreachable")] } });
    const l = await mesh(["list"], env);
    expect(l.out.trim().split("\n")).toEqual(["alice\tAlice\tonline\tws://10.0.0.1:18789", "bob\tBob\tunreachable\tws://10.0.0.1:18789"]);
    api.on("POST", "/api/v1/ping", { status: 200, body: { teammates: [teammate("bob", "unreachable")] } });
    const p = await mesh(["ping", "--to", "bob"], env);
    expect(api.requests.at(-1)?.body).toEqual({ to: "bob" });
    expect(p.code).toBe(1);
  });

  it("status: a message id, falling back to a broadcast id", async () => {
    api.on("GET", "/api/v1/messages/bc_1", { status: 404, body: { error: { code: "MESSAGE_NOT_FOUND", message: "no" } } });
    api.on("GET", "/api/v1/broadcasts/bc_1", { status: 200, body: broadcast("completed") });
    const r = await mesh(["status", "bc_1"], env);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).state).toBe("completed");
  });
});
