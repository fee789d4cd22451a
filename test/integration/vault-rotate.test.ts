// `team-mesh vault rotate` on a stopped server's data dir, then the real server process on it:
// starts with the new key, the stored gateway tokens and sealed settings still work, the old key
// is refused at start-up with a clear message, and no key is ever printed (docs/cli.md).
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProcess, type ProcessResult } from "../support/run-process.ts";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-vault-rotate-0d6e";
const BIN = join(REPO_ROOT, "bin/team-mesh.mjs");

function run(cmd: string[], env: Record<string, string>, input = "", timeoutMs = 30_000): Promise<ProcessResult> {
  return runProcess(process.execPath, cmd, {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    input,
    timeoutMs,
  });
}

const cli = (args: string[], env: Record<string, string>, input?: string) => run([BIN, ...args], env, input);

/** `node server/main.ts` that is expected NOT to start: its exit code and output. */
const serverThatFails = (env: Record<string, string>) =>
  run(["server/main.ts"], { MESH_HOST: "127.0.0.1", MESH_PORT: "0", MESH_LOG_PRETTY: "0", ...env });

const b64 = () => randomBytes(32).toString("base64");

/** A first life of the server on `dataDir`: a teammate with a token, one send, one broadcast awaiting confirmation. */
async function populate(dataDir: string, gw: FakeGateway, env: Record<string, string> = {}) {
  const srv = await startTestServer({ dataDir, env });
  try {
    const key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
    const sent = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "before rotation" }, { key });
    expect(sent.body.status).toBe("replied");
    const b = await srv.api("POST", "/api/v1/broadcasts", { message: "confirm me after the rotation" }, { key });
    expect(b.status).toBe(201);
    return { key, broadcastId: b.body.id as string, confirmationToken: b.body.confirmationToken as string };
  } finally {
    await srv.stop();
  }
}

/** The server (a child process) on the rotated data dir: tokens, sealed settings and the audit chain still work. */
async function checkWorks(dataDir: string, gw: FakeGateway, env: Record<string, string>, before: Awaited<ReturnType<typeof populate>>) {
  let srv: TestServer | null = null;
  try {
    srv = await startTestServer({ child: true, dataDir, env });
    const { key } = before;
    gw.received.length = 0;
    const sent = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "after rotation" }, { key });
    expect(sent.status).toBe(200);
    expect(sent.body.status).toBe("replied");
    expect(gw.received).toEqual(["after rotation"]);
    // the confirmation token is an HMAC under a key sealed in the vault: still valid
    const confirmed = await srv.api("POST", `/api/v1/broadcasts/${before.broadcastId}/confirm`, { token: before.confirmationToken, wait: true }, { key });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.recipients.map((r: { handle: string; status: string }) => `${r.handle}:${r.status}`)).toEqual(["bob:replied"]);
    const verify = await srv.api("GET", "/api/v1/audit/verify", undefined, { key });
    expect(verify.body.ok).toBe(true);
    return srv.output();
  } finally {
    await srv?.stop();
  }
}

describe("vault rotate", () => {
  let gw: FakeGateway;
  const dirs: string[] = [];
  const newDir = () => {
    const d = mkdtempSync(join(tmpdir(), "team-mesh-rotate-"));
    dirs.push(d);
    return d;
  };
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `ok: ${m}` });
  });
  afterAll(async () => {
    await gw.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it("key file setup: a new vault.key; the server starts with it; the old key is refused; no key printed", { timeout: 120_000 }, async () => {
    const dataDir = newDir();
    const keyFile = join(dataDir, "vault.key");
    const before = await populate(dataDir, gw);
    const oldKey = readFileSync(keyFile, "utf8").trim();

    const r = await cli(["vault", "rotate", "--data-dir", dataDir], {});
    expect(r.code).toBe(0);
    const newKey = readFileSync(keyFile, "utf8").trim();
    expect(newKey).not.toBe(oldKey);
    expect(Buffer.from(newKey, "base64")).toHaveLength(32);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(existsSync(`${keyFile}.new`)).toBe(false);
    expect(r.out).toMatch(/^Re-encrypted [1-9]\d* credential\(s\) and [1-9]\d* sealed setting\(s\): key \S+ → \S+\.$/m);
    expect(r.out).toContain(`The new key is in ${keyFile} (mode 0600)`);
    expect(r.out + r.err).not.toContain(oldKey);
    expect(r.out + r.err).not.toContain(newKey);

    const output = await checkWorks(dataDir, gw, {}, before);
    expect(output).not.toContain(newKey);

    // the old key no longer opens the database
    const old = await serverThatFails({ MESH_DATA_DIR: dataDir, MESH_VAULT_KEY: oldKey });
    expect(old.code).not.toBe(0);
    expect(old.code).toBe(1);
    expect(old.out + old.err).toMatch(/VaultKeyError/);
    expect(old.out + old.err).toMatch(/Wrong vault key: this database was sealed with key \S+, the configured key is \S+/);
    expect(old.out + old.err).not.toContain(oldKey);
    expect(old.out + old.err).not.toContain(newKey);

    // --json: the report, still without any key
    const again = await cli(["vault", "rotate", "--data-dir", dataDir, "--json"], {});
    expect(again.code).toBe(0);
    const report = JSON.parse(again.out);
    expect(report).toMatchObject({ keySource: "file", keyFile, credentials: expect.any(Number), settings: expect.any(Number) });
    expect(report).not.toHaveProperty("newKeyBase64");
    const newest = readFileSync(keyFile, "utf8").trim();
    expect(again.out + again.err).not.toContain(newest);
    expect(again.out + again.err).not.toContain(newKey);
  });

  it("MESH_VAULT_KEY setup: rotate to a key given on stdin; start with it; the old one is refused; no key printed", { timeout: 120_000 }, async () => {
    const dataDir = newDir();
    const k1 = b64();
    const k2 = b64();
    const before = await populate(dataDir, gw, { MESH_VAULT_KEY: k1 });
    const env = { MESH_DATA_DIR: dataDir, MESH_VAULT_KEY: k1 };

    // refusals change nothing: no new key given, a malformed key, the same key
    const none = await cli(["vault", "rotate"], env);
    expect(none.code).toBe(2);
    expect(none.err).toContain("The vault key comes from MESH_VAULT_KEY: pass the new key");
    const bad = await cli(["vault", "rotate", "--new-key", "-"], env, "not-a-key\n");
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("--new-key: the vault key must be base64 of exactly 32 bytes");
    const same = await cli(["vault", "rotate", "--new-key", "-"], env, `${k1}\n`);
    expect(same.code).toBe(1);
    expect(same.err).toContain("The new vault key is the same as the old one");
    for (const x of [none, bad, same]) expect(x.out + x.err).not.toContain(k1);

    const r = await cli(["vault", "rotate", "--new-key", "-"], env, `${k2}\n`);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Re-encrypted [1-9]\d* credential\(s\) and [1-9]\d* sealed setting\(s\): key \S+ → \S+\.$/m);
    expect(r.out).toContain("Now set MESH_VAULT_KEY to the new key before starting the server.");
    expect(r.out + r.err).not.toContain(k1);
    expect(r.out + r.err).not.toContain(k2);
    expect(existsSync(join(dataDir, "vault.key"))).toBe(false); // env setups never get a key file

    const output = await checkWorks(dataDir, gw, { MESH_VAULT_KEY: k2 }, before);
    expect(output).not.toContain(k2);

    const old = await serverThatFails({ MESH_DATA_DIR: dataDir, MESH_VAULT_KEY: k1 });
    expect(old.code).toBe(1);
    expect(old.out + old.err).toMatch(/VaultKeyError/);
    expect(old.out + old.err).toMatch(/Wrong vault key/);
    expect(old.out + old.err).not.toContain(k1);
    expect(old.out + old.err).not.toContain(k2);
  });
});
