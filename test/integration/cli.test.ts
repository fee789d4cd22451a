// The real `team-mesh` command (bin/team-mesh.mjs, a child process without a terminal) against the
// real server and fake OpenClaw gateways: output, exit codes, and what reached the gateways.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess, type ProcessResult } from "../support/run-process.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-shared-token-for-cli-tests";
const BIN = join(REPO_ROOT, "bin/team-mesh.mjs");

function runCli(args: string[], env: Record<string, string>, input?: string): Promise<ProcessResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    input,
  });
}

describe("team-mesh CLI against the real server", () => {
  let srv: TestServer;
  let gws: FakeGateway[];
  let down: FakeGateway;
  let admin: string;
  let operator: string;
  let requester: string;
  let auditor: string;
  const cli = (args: string[], key: string, input?: string) => runCli(args, { MESH_URL: srv.url, MESH_API_KEY: key }, input);
  const received = () => gws.map((g) => g.received.length).reduce((a, b) => a + b, 0);

  beforeAll(async () => {
    gws = await Promise.all([0, 1].map(() => startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` })));
    down = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ env: { MESH_MY_EMAIL: "me@example.com" } });
    admin = await srv.adminKey();
    operator = await srv.keyFor("operator");
    requester = await srv.keyFor("requester");
    auditor = await srv.keyFor("auditor");
    await srv.addTeammate({ handle: "me", name: "Myself", gatewayUrl: gws[0]!.url, token: TOKEN });
    await srv.addTeammate({ handle: "alice", name: "Alex Alice", gatewayUrl: gws[0]!.url, token: TOKEN });
    await srv.addTeammate({ handle: "bob", name: "Alex Bob", gatewayUrl: gws[1]!.url, token: TOKEN });
    await srv.addTeammate({ handle: "gone", name: "Gone Away", gatewayUrl: down.url, token: TOKEN });
    await down.stop(); // its address now refuses connections
  });
  afterAll(async () => {
    await srv?.stop();
    await Promise.all((gws ?? []).map((g) => g.stop()));
  });
  beforeEach(() => {
    for (const g of gws) g.received.length = 0;
  });

  it("list: a table of the registry; --json is the API's answer; the key is never printed", async () => {
    const r = await cli(["list"], operator);
    expect(r.code).toBe(0);
    expect(r.out.split("\n")[0]).toMatch(/^HANDLE\s+NAME\s+STATE\s+GATEWAY\s+AGENT\s+TOKEN\s+TAGS\s+LAST SEEN$/);
    for (const h of ["alice", "bob", "gone", "me (me)"]) expect(r.out).toContain(h);
    expect(r.out + r.err).not.toContain(operator);
    const j = await cli(["list", "--json"], operator);
    expect(JSON.parse(j.out).items.map((t: { handle: string }) => t.handle).sort()).toEqual(["alice", "bob", "gone", "me"]);
  });

  it("whoami names my agent (MESH_MY_EMAIL) and the calling key", async () => {
    const r = await cli(["whoami"], requester);
    expect(r.code).toBe(0);
    expect(r.out).toContain("My agent: me (Myself) (from MESH_MY_EMAIL)");
    expect(r.out).toMatch(/Calling as: API key \S+ \(role requester\)/);
  });

  it("send --dry-run: a preview, exit 0, nothing reaches the gateway", async () => {
    const r = await cli(["send", "--to", "alice", "--message", "just looking", "--dry-run"], operator);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Dry run: nothing was sent.");
    expect(r.out).toContain(`Gateway:  ${gws[0]!.url}`);
    expect(r.out).toContain("Token:    set");
    expect(received()).toBe(0);
  });

  it("send: the agent's reply, exit 0; status shows the same message", async () => {
    const r = await cli(["send", "--to", "bob", "--message", "deploy done?", "--timeout", "10", "--json"], requester);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.out);
    expect(m.status).toBe("replied");
    expect(m.exchanges[0].reply).toBe("ack deploy done?");
    expect(gws[1]!.received).toEqual([expect.stringContaining("deploy done?")]);
    const s = await cli(["status", m.id], requester);
    expect(s.code).toBe(0);
    expect(s.out).toContain("ack deploy done?");
  });

  it("reply: exit 4 and a clear message for an unknown message id; --json is parseable", async () => {
    const r = await cli(["reply", "msg_nope"], requester);
    expect(r.code).toBe(4);
    expect(r.err).toContain("No message with id msg_nope");
    expect(r.err).toContain("[MESSAGE_NOT_FOUND]");
    const j = await cli(["reply", "msg_nope", "--wait", "5", "--json"], requester);
    expect(j.code).toBe(4);
    expect(JSON.parse(j.out)).toMatchObject({ error: { code: "MESSAGE_NOT_FOUND" }, status: 404 });
  });

  it("reply on a message that was answered in time: the reply, exit 0", async () => {
    const sent = JSON.parse((await cli(["send", "--to", "bob", "--message", "quick one", "--json"], requester)).out);
    const r = await cli(["reply", sent.id], requester);
    expect(r.code).toBe(0);
    expect(r.out).toContain("ack quick one");
  });

  it("send --message - reads standard input", async () => {
    const r = await cli(["send", "--to", "alice", "--message", "-"], operator, "from stdin\n");
    expect(r.code).toBe(0);
    expect(r.out).toContain("ack from stdin");
  });

  it("send to an agent whose gateway is down: exit 1", async () => {
    const r = await cli(["send", "--to", "gone", "--message", "hello?", "--timeout", "5"], operator);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/unreachable/);
  });

  it("exit 4 for an unknown teammate and for an ambiguous name", async () => {
    const unknown = await cli(["send", "--to", "zed", "--message", "hi"], operator);
    expect(unknown.code).toBe(4);
    expect(unknown.err).toContain("TEAMMATE_NOT_FOUND");
    const ambiguous = await cli(["send", "--to", "alex", "--message", "hi"], operator);
    expect(ambiguous.code).toBe(4);
    expect(ambiguous.err).toContain("AMBIGUOUS_TEAMMATE");
    expect(received()).toBe(0);
  });

  it("exit 6 for a message above the hard limit (413); nothing sent", async () => {
    const r = await cli(["send", "--to", "alice", "--message", "-"], operator, "x".repeat(8193));
    expect(r.code).toBe(6);
    expect(r.err).toContain("MESSAGE_TOO_LARGE");
    expect(received()).toBe(0);
  });

  it("exit 3 for a wrong key (401) and for a key without the permission (403)", async () => {
    const bad = await cli(["list"], "tm_this-key-does-not-exist");
    expect(bad.code).toBe(3);
    expect(bad.err).not.toContain("tm_this-key-does-not-exist");
    const forbidden = await cli(["send", "--to", "alice", "--message", "hi"], auditor);
    expect(forbidden.code).toBe(3);
    expect(forbidden.err).toContain("FORBIDDEN");
    expect(received()).toBe(0);
  });

  it("exit 5 when no server answers", async () => {
    const r = await runCli(["list"], { MESH_URL: "http://127.0.0.1:1", MESH_API_KEY: operator });
    expect(r.code).toBe(5);
  });

  it("broadcast without a terminal and without --yes: refused, exit 2, nothing created or sent", async () => {
    const before = (await srv.api("GET", "/api/v1/broadcasts", undefined, { key: admin })).body.items.length;
    const r = await cli(["broadcast", "--message", "all hands"], operator);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs --yes/);
    expect((await srv.api("GET", "/api/v1/broadcasts", undefined, { key: admin })).body.items.length).toBe(before);
    expect(received()).toBe(0);
  });

  it("broadcast --dry-run lists recipients and skips me", async () => {
    const r = await cli(["broadcast", "--message", "preview", "--dry-run"], operator);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Recipients \(3\): alice \(Alex Alice\), bob \(Alex Bob\), gone \(Gone Away\)/);
    expect(r.out).toMatch(/Skipped \(1\): me \(self\)/);
    expect(received()).toBe(0);
  });

  it("broadcast --yes with an operator key: confirmed and sent; the down gateway makes it exit 1", async () => {
    const r = await cli(["broadcast", "--message", "standup in 5", "--yes", "--timeout", "5"], operator);
    expect(r.out).toMatch(/alice\s+replied/);
    expect(r.out).toMatch(/bob\s+replied/);
    expect(r.out).toMatch(/gone\s+unreachable/);
    expect(r.code).toBe(1);
    expect(gws[0]!.received.length + gws[1]!.received.length).toBe(2);
  });

  it("broadcast --yes with a requester key: awaiting confirmation in the dashboard, exit 0, nothing sent", async () => {
    const r = await cli(["broadcast", "--message", "agent asks", "--yes", "--json"], requester);
    expect(r.code).toBe(0);
    const b = JSON.parse(r.out);
    expect(b.state).toBe("awaiting_confirmation");
    expect(b.awaitingConfirmation).toBe(true);
    const human = await cli(["status", b.id], requester);
    expect(human.code).toBe(0);
    expect(human.out).toContain("awaiting confirmation");
    expect(received()).toBe(0);
  });

  it("audit --to shows that teammate's entries", async () => {
    await cli(["send", "--to", "alice", "--message", "for the audit"], operator);
    const r = await cli(["audit", "--to", "alice", "--limit", "5", "--json"], admin);
    expect(r.code).toBe(0);
    const page = JSON.parse(r.out);
    expect(page.items.length).toBeGreaterThan(0);
    expect(page.items.every((e: { teammate: string }) => e.teammate === "alice")).toBe(true);
    expect(page.items.some((e: { message: string }) => e.message === "for the audit")).toBe(true);
  });

  it("audit head saves a signed anchor; audit verify checks the chain and that anchor", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-anchor-"));
    try {
      const head = await cli(["audit", "head"], auditor);
      expect(head.code).toBe(0);
      const anchor = JSON.parse(head.out) as { count: number; signature: string };
      expect(anchor).toMatchObject({ algorithm: "Ed25519", count: expect.any(Number), signature: expect.any(String) });
      writeFileSync(join(dir, "anchor.json"), head.out);
      const ok = await cli(["audit", "verify", "--anchor", join(dir, "anchor.json")], auditor);
      expect(ok.code, ok.err).toBe(0);
      expect(ok.out).toMatch(/Chain intact/);
      expect(ok.out).toMatch(new RegExp(`Anchor holds: entry ${anchor.count} is unchanged`));
      writeFileSync(join(dir, "forged.json"), JSON.stringify({ ...anchor, count: anchor.count + 1 }));
      const bad = await cli(["audit", "verify", "--anchor", join(dir, "forged.json"), "--json"], auditor);
      expect(bad.code).toBe(1);
      expect(JSON.parse(bad.out)).toMatchObject({ ok: false, anchor: { ok: false } });
      const plain = await cli(["audit", "verify", "--json"], auditor);
      expect(plain.code).toBe(0);
      expect(JSON.parse(plain.out)).toMatchObject({ ok: true });
      expect((await cli(["audit-verify"], auditor)).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("import: the old skill's registry.json and tokens.json", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-import-"));
    try {
      writeFileSync(join(dir, "registry.json"), JSON.stringify({ gatewayUrlPattern: "ws://{ip}:1", agents: [{ emailPrefix: "zoe", name: "Zoe Import", ip: "127.0.0.9" }] }));
      writeFileSync(join(dir, "tokens.json"), JSON.stringify({ tokens: { zoe: "zoe-secret-token-xyz" } }), { mode: 0o600 });
      const r = await cli(["import", "--registry", join(dir, "registry.json"), "--tokens", join(dir, "tokens.json")], admin);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Created:\s+zoe/);
      expect(r.out).toMatch(/Tokens set: zoe/);
      expect(r.out + r.err).not.toContain("zoe-secret-token-xyz");
      const again = await cli(["import", "--registry", join(dir, "registry.json")], admin);
      expect(again.out).toMatch(/Unchanged: zoe/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("backup into the default folder beside vault.key warns on stdout, stderr and in --json", async () => {
    const env = { MESH_DATA_DIR: srv.dataDir };
    const key = join(srv.dataDir, "vault.key");
    const human = await runCli(["backup"], env);
    expect(human.code).toBe(0);
    expect(human.out).toContain(`also holds the vault key ${key}`);
    expect(human.err).toContain(`also holds the vault key ${key}`);
    const machine = await runCli(["backup", "--json"], env);
    expect(machine.code).toBe(0);
    const r = JSON.parse(machine.out) as { file: string; warnings: string[] };
    expect(r.file.startsWith(join(srv.dataDir, "backups"))).toBe(true);
    expect(r.warnings).toEqual([expect.stringContaining(key)]);
    expect(machine.err).toContain("a backup plus its key is the whole vault");
  });

  it("local commands on the live data dir: backup works, restore and vault rotate refuse while the server runs", async () => {
    const env = { MESH_DATA_DIR: srv.dataDir };
    const out = join(mkdtempSync(join(tmpdir(), "cli-backup-")), "b.db");
    const b = await runCli(["backup", "--out", out], env);
    expect(b.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(b.out).toContain(`Backup written: ${out}`);
    expect(b.out).toContain(`The vault master key is the file ${join(srv.dataDir, "vault.key")}`);
    expect(b.out).toMatch(/never store the key beside the backup/);
    const r = await runCli(["restore", out], env);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/in use/);
    const v = await runCli(["vault", "rotate"], env);
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/stop the server first/);
    const fresh = mkdtempSync(join(tmpdir(), "cli-restore-"));
    const ok = await runCli(["restore", out, "--data-dir", fresh], {});
    expect(ok.code).toBe(0);
    expect(ok.out).toContain(`into ${join(fresh, "team-mesh.db")}`);
    rmSync(fresh, { recursive: true, force: true });
    rmSync(join(out, ".."), { recursive: true, force: true });
  });

  it("admin reset-password: the new password signs in, the old sessions are gone", async () => {
    const cookie = await srv.login();
    const env = { MESH_DATA_DIR: srv.dataDir };
    const short = await runCli(["admin", "reset-password", "admin", "--password-stdin"], env, "short\n");
    expect(short.code).toBe(2);
    const nobody = await runCli(["admin", "reset-password", "nobody", "--password-stdin"], env, "a-long-enough-password\n");
    expect(nobody.code).toBe(4);
    const r = await runCli(["admin", "reset-password", "admin", "--password-stdin"], env, "brand-new-password-42\n");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Password of admin changed; [1-9]\d* session\(s\) signed out/);
    expect((await srv.api("GET", "/api/v1/auth/me", undefined, { cookie })).status).toBe(401);
    const login = await srv.api("POST", "/api/v1/auth/login", { username: "admin", password: "brand-new-password-42" }, { headers: { "X-Requested-With": "team-mesh" } });
    expect(login.status).toBe(200);
  });
});
