// The CLI in-process against a stand-in API: requests it makes, output, exit codes.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./main.ts";
import { EXIT } from "./exit-codes.ts";
import { broadcast, message, teammate, testIO, useFakeApi, type FakeApi } from "../test/support/cli-fake-api.ts";

const KEY = "tm_SECRETKEYVALUE_0123456789";
let api: FakeApi;
let env: Record<string, string>;
useFakeApi(KEY, (a, e) => {
  api = a;
  env = e;
});

const err = (status: number, code: string, msg: string, details?: unknown) => ({ status, body: { error: { code, message: msg, details } } });

async function cli(argv: string[], opts: Parameters<typeof testIO>[0] = {}) {
  const io = testIO({ env, ...opts });
  const code = await run(argv, io);
  // The API key never appears in any output.
  expect(io.stdoutText()).not.toContain(KEY);
  expect(io.stderrText()).not.toContain(KEY);
  return { code, io, out: io.stdoutText(), err: io.stderrText() };
}

describe("API commands", () => {
  it("list: a table, the key as a Bearer header", async () => {
    api.on("GET", "/api/v1/teammates", { status: 200, body: { items: [teammate("alice", "online", { tags: ["backend", "oncall"] }), teammate("bob", "unreachable", { credential: { set: false, setAt: null, lastUsedAt: null } })] } });
    const r = await cli(["list"]);
    expect(r.code).toBe(EXIT.OK);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/^HANDLE\s+NAME\s+STATE\s+GATEWAY\s+AGENT\s+TOKEN\s+TAGS\s+LAST SEEN$/);
    expect(lines[1]).toMatch(/^alice\s+Alice\s+online\s+ws:\/\/10\.0\.0\.1:18789\s+main\s+set\s+@backend @oncall\s+1m ago$/);
    expect(lines[2]).toMatch(/^bob\s+Bob\s+unreachable\s+\S+\s+main\s+missing\s+-\s+never$/);
    expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("--json prints the API's answer as JSON", async () => {
    const body = { items: [teammate("alice")] };
    api.on("GET", "/api/v1/teammates", { status: 200, body });
    const r = await cli(["list", "--json"]);
    expect(JSON.parse(r.out)).toEqual(body);
    expect(JSON.parse(r.out).items[0].agentId).toBe("main");
  });

  it("whoami shows my agent and the calling key", async () => {
    api.on("GET", "/api/v1/whoami", { status: 200, body: { me: teammate("dan", "online", { isMe: true, displayName: "Dan D" }), source: "env" } });
    api.on("GET", "/api/v1/auth/me", { status: 200, body: { kind: "api_key", name: "laptop", role: "requester" } });
    const r = await cli(["whoami"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("My agent: dan (Dan D) (from MESH_MY_EMAIL)");
    expect(r.out).toContain("Calling as: API key laptop (role requester)");
  });

  it("ping --to: exit 1 when the agent is not online, with the pairing command when it needs one", async () => {
    const pairing = { requestId: "req-9", approveCommand: "openclaw devices approve req-9" };
    api.on("POST", "/api/v1/ping", (req) => ({
      status: 200,
      body: { teammates: [teammate(req.body.to, "pairing_required", { status: { ...teammate("x").status, state: "pairing_required", pairing } })] },
    }));
    const r = await cli(["ping", "--to", "erin"]);
    expect(api.requests[0]?.body).toEqual({ to: "erin" });
    expect(r.code).toBe(EXIT.FAILED);
    expect(r.out).toContain("openclaw devices approve req-9");
    expect(r.out).toContain("0/1 online");
    api.on("POST", "/api/v1/ping", { status: 200, body: { teammates: [teammate("alice"), teammate("bob", "unreachable")] } });
    const all = await cli(["ping"]);
    expect(all.code).toBe(EXIT.OK);
    expect(all.out).toContain("1/2 online");
    expect(all.out.split("\n")[0]).toMatch(/^HANDLE\s+AGENT\s+STATE\s+LATENCY\s+VERSION\s+DETAIL$/);
    expect(all.out.split("\n")[1]).toMatch(/^alice\s+main\s+online\s+12 ms/);
  });

  it("send: posts the flags, prints the reply, exit 0; an idempotency key per invocation", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("replied", "Sure, on it.") });
    const r = await cli(["send", "--to", "alice", "--message", "hi", "--rounds", "2", "--timeout", "30", "--session", "proj"]);
    expect(r.code).toBe(EXIT.OK);
    expect(api.requests[0]?.body).toEqual({ to: "alice", message: "hi", session: "proj", rounds: 2, timeoutSec: 30, dryRun: false, wait: true, fallback: true });
    expect(api.requests[0]?.headers["idempotency-key"]).toMatch(/^cli-[0-9a-f-]{36}$/);
    expect(r.out).toContain("[round 1/1] replied in 1.5 s");
    expect(r.out).toContain("Sure, on it.");
  });

  it("send: an agent that times out is exit 1; warnings go to stderr", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("timeout", null, { warnings: [{ code: "MESSAGE_LARGE", message: "5000 bytes is above 4096" }] }) });
    const r = await cli(["send", "--to", "alice", "-m", "hi"]);
    expect(r.code).toBe(EXIT.FAILED);
    expect(r.out).toContain("error: no reply within 60 s [GATEWAY_TIMEOUT]");
    expect(r.err).toContain("warning: 5000 bytes is above 4096 [MESSAGE_LARGE]");
  });

  it("send --message - reads standard input (one trailing newline dropped)", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("replied", "ok") });
    await cli(["send", "--to", "alice", "--message", "-"], { stdin: "line one\nline two\n" });
    expect(api.requests[0]?.body.message).toBe("line one\nline two");
    api.reset();
    const empty = await cli(["send", "--to", "alice", "--message", "-"], { stdin: "\n" });
    expect(empty.code).toBe(EXIT.USAGE);
    expect(api.requests).toHaveLength(0);
  });

  it("send --dry-run shows the preview; blockers make it exit 1", async () => {
    const preview = {
      dryRun: true,
      to: { handle: "alice", name: "Alice", displayName: null },
      gatewayUrl: null,
      session: "main",
      rounds: 1,
      timeoutSec: 60,
      message: "hi",
      messageBytes: 2,
      sha256: "b".repeat(64),
      credentialSet: false,
      warnings: [],
      blockers: [],
    };
    api.on("POST", "/api/v1/messages", { status: 200, body: preview });
    const ok = await cli(["send", "--to", "alice", "-m", "hi", "--dry-run"]);
    expect(ok.code).toBe(0);
    expect(ok.out).toContain("Dry run: nothing was sent.");
    expect(api.requests[0]?.body.dryRun).toBe(true);
    api.on("POST", "/api/v1/messages", { status: 200, body: { ...preview, blockers: [{ code: "NO_ADDRESS", message: "alice has no gateway address" }] } });
    const blocked = await cli(["send", "--to", "alice", "-m", "hi", "--dry-run"]);
    expect(blocked.code).toBe(EXIT.FAILED);
    expect(blocked.out).toContain("blocked: alice has no gateway address [NO_ADDRESS]");
  });

  it("send --no-wait prints the message id (202)", async () => {
    api.on("POST", "/api/v1/messages", { status: 202, body: { id: "msg_9", status: "queued", href: "/api/v1/messages/msg_9" } });
    const r = await cli(["send", "--to", "alice", "-m", "hi", "--no-wait"]);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.body.wait).toBe(false);
    expect(r.out).toContain("team-mesh status msg_9");
  });

  it("error answers map to exit codes: 404 → 4, ambiguous → 4, 413 → 6, 401 → 3, 403 → 3, 502 → 1, 400 → 2", async () => {
    const cases: [ReturnType<typeof err>, number, RegExp][] = [
      [err(404, "TEAMMATE_NOT_FOUND", 'No teammate matches "zed"'), EXIT.NOT_FOUND, /No teammate matches "zed" \[TEAMMATE_NOT_FOUND\]/],
      [err(409, "AMBIGUOUS_TEAMMATE", '"al" matches 2 teammates', { matches: [{ handle: "alice" }, { handle: "alan" }] }), EXIT.NOT_FOUND, /matches: alice, alan/],
      [err(413, "MESSAGE_TOO_LARGE", "9000 bytes is above the 8192 byte limit"), EXIT.TOO_LARGE, /8192/],
      [err(401, "UNAUTHENTICATED", "Sign in or send an API key"), EXIT.AUTH, /check MESH_API_KEY/],
      [err(403, "FORBIDDEN", "Needs send", { needs: "send", roles: ["admin", "operator", "requester"] }), EXIT.AUTH, /lacks send/],
      [err(502, "GATEWAY_UNREACHABLE", "alice's gateway does not answer"), EXIT.FAILED, /does not answer/],
      [err(400, "VALIDATION_FAILED", "message: too short"), EXIT.USAGE, /too short/],
    ];
    for (const [answer, code, text] of cases) {
      api.on("POST", "/api/v1/messages", answer);
      const r = await cli(["send", "--to", "x", "-m", "hi"]);
      expect(r.code, answer.body.error.code).toBe(code);
      expect(r.err).toMatch(text);
    }
  });

  it("--json errors are JSON on stdout with the server's code", async () => {
    api.on("POST", "/api/v1/messages", err(404, "TEAMMATE_NOT_FOUND", "nope"));
    const r = await cli(["send", "--to", "x", "-m", "hi", "--json"]);
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(JSON.parse(r.out)).toMatchObject({ error: { code: "TEAMMATE_NOT_FOUND", message: "nope" }, status: 404 });
  });

  it("a proxy's non-JSON error page still gives a sensible code and message", async () => {
    api.on("GET", "/api/v1/teammates", { status: 502, raw: "<html>Bad Gateway</html>" });
    const r = await cli(["list"]);
    expect(r.code).toBe(EXIT.FAILED);
    expect(r.err).toContain("Bad Gateway");
  });

  it("no server: exit 5; no key: exit 3 without a request", async () => {
    const r = await cli(["list"], { env: { MESH_URL: "http://127.0.0.1:1", MESH_API_KEY: KEY } });
    expect(r.code).toBe(EXIT.UNREACHABLE);
    expect(r.err).toMatch(/Cannot reach the Team Mesh server at http:\/\/127\.0\.0\.1:1/);
    const nokey = await cli(["list"], { env: { MESH_URL: api.url } });
    expect(nokey.code).toBe(EXIT.AUTH);
    expect(nokey.err).toContain("MESH_API_KEY is not set");
    expect(api.requests).toHaveLength(0);
  });

  it("--url overrides MESH_URL and keeps a path prefix", async () => {
    api.on("GET", "/mesh/api/v1/teammates", { status: 200, body: { items: [] } });
    const r = await cli(["list", "--url", `${api.url}/mesh/`], { env: { MESH_URL: "http://127.0.0.1:1", MESH_API_KEY: KEY } });
    expect(r.code).toBe(0);
    expect(r.out).toContain("No teammates yet");
  });

  it("usage errors: exit 2 with the command's usage on stderr", async () => {
    const r = await cli(["send", "--to", "alice"]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toContain("send needs --message");
    expect(r.err).toContain("team-mesh send --to NAME --message TEXT|-");
  });

  it("status: a message, else a broadcast, else exit 4", async () => {
    api.on("GET", "/api/v1/messages/msg_1", { status: 200, body: message("replied", "done") });
    expect((await cli(["status", "msg_1"])).code).toBe(0);
    api.on("GET", "/api/v1/messages/bc_1", err(404, "MESSAGE_NOT_FOUND", "no"));
    api.on("GET", "/api/v1/broadcasts/bc_1", { status: 200, body: broadcast("completed") });
    const b = await cli(["status", "bc_1"]);
    expect(b.code).toBe(0);
    expect(b.out).toMatch(/alice\s+replied\s+800 ms\s+ack from alice/);
    const none = await cli(["status", "zzz"]);
    expect(none.code).toBe(EXIT.NOT_FOUND);
    expect(none.err).toContain("No message or broadcast with id zzz");
  });

  it("import: sends both files; the tokens are never printed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-import-"));
    try {
      const registry = { agents: [{ emailPrefix: "alice", name: "Alice", ip: "10.0.0.5" }] };
      writeFileSync(join(dir, "registry.json"), JSON.stringify(registry));
      writeFileSync(join(dir, "tokens.json"), JSON.stringify({ tokens: { alice: "gw-token-SECRET-123" } }));
      chmodSync(join(dir, "tokens.json"), 0o644);
      api.on("POST", "/api/v1/teammates/import", { status: 200, body: { created: ["alice"], updated: [], unchanged: [], skipped: [], tokensSet: ["alice"] } });
      const r = await cli(["import", "--registry", join(dir, "registry.json"), "--tokens", join(dir, "tokens.json")]);
      expect(r.code).toBe(0);
      expect(api.requests[0]?.body).toEqual({ registry, tokens: { tokens: { alice: "gw-token-SECRET-123" } } });
      expect(r.out).toContain("Created:   alice");
      expect(r.out + r.err).not.toContain("gw-token-SECRET-123");
      expect(r.err).toContain("readable by other users");
      const missing = await cli(["import", "--registry", join(dir, "nope.json")]);
      expect(missing.code).toBe(EXIT.USAGE);
      writeFileSync(join(dir, "bad.json"), "{nope");
      expect((await cli(["import", "--registry", join(dir, "bad.json")])).code).toBe(EXIT.USAGE);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("audit: --to and --limit become the query", async () => {
    api.on("GET", "/api/v1/audit", { status: 200, body: { items: [], nextCursor: null } });
    const r = await cli(["audit", "--to", "alice", "--limit", "5"]);
    expect(r.code).toBe(0);
    expect(api.requests[0]?.path).toBe("/api/v1/audit?teammate=alice&limit=5");
    expect(r.out).toBe("No audit entries.");
  });
});

describe("broadcast", () => {
  it("without a terminal and without --yes: refused, exit 2, no request at all", async () => {
    const r = await cli(["broadcast", "-m", "hello all"], { isTTY: false });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.err).toMatch(/needs --yes/);
    expect(api.requests).toHaveLength(0);
  });

  it("--dry-run shows recipients and skipped teammates and creates nothing", async () => {
    api.on("POST", "/api/v1/broadcasts", (req) => ({
      status: 200,
      body: { dryRun: true, message: req.body.message, messageBytes: 9, sha256: "c".repeat(64), session: "main", recipients: broadcast("x").recipients, skipped: broadcast("x").skipped, warnings: [] },
    }));
    const r = await cli(["broadcast", "-m", "hello all", "--dry-run"]);
    expect(r.code).toBe(0);
    expect(api.requests.map((q) => q.body.dryRun)).toEqual([true]);
    expect(r.out).toContain("Recipients (2): alice, bob");
    expect(r.out).toContain("Skipped (2): me (self), carol (no credentials)");
  });

  it("--yes with a key that may confirm: create, confirm with the token, follow to the end", async () => {
    api.on("POST", "/api/v1/broadcasts", { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "tok-1" }) });
    api.on("POST", "/api/v1/broadcasts/bc_1/confirm", { status: 202, body: broadcast("sending") });
    let polls = 0;
    api.on("GET", "/api/v1/broadcasts/bc_1", () => ({ status: 200, body: broadcast(++polls < 2 ? "sending" : "completed") }));
    const r = await cli(["broadcast", "-m", "hello all", "--yes"]);
    expect(r.code).toBe(0);
    const confirm = api.requests.find((q) => q.path.endsWith("/confirm"));
    expect(confirm?.body).toEqual({ token: "tok-1", wait: false });
    expect(confirm?.headers["idempotency-key"]).toBeTruthy();
    expect(r.out).toMatch(/bob\s+replied\s+800 ms\s+ack from bob/);
    expect(r.out).toContain("2 replied");
  });

  it("a failed recipient makes the broadcast exit 1", async () => {
    const done = broadcast("completed");
    done.recipients[1] = { ...done.recipients[1]!, status: "unreachable", reply: null, error: { code: "GATEWAY_UNREACHABLE", message: "down" } } as never;
    api.on("POST", "/api/v1/broadcasts", { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "tok-1" }) });
    api.on("POST", "/api/v1/broadcasts/bc_1/confirm", { status: 200, body: done });
    const r = await cli(["broadcast", "-m", "hello all", "--yes"]);
    expect(r.code).toBe(EXIT.FAILED);
  });

  it("requester key (no confirmation token): awaiting confirmation in the dashboard, exit 0, no confirm call", async () => {
    api.on("POST", "/api/v1/broadcasts", { status: 201, body: broadcast("awaiting_confirmation") });
    const r = await cli(["broadcast", "-m", "hello all", "--yes"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Broadcast bc_1 is awaiting confirmation in the dashboard");
    expect(api.requests.some((q) => q.path.endsWith("/confirm"))).toBe(false);
  });

  it("a 403 on confirm also means: awaiting confirmation, exit 0", async () => {
    api.on("POST", "/api/v1/broadcasts", { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "tok-1" }) });
    api.on("POST", "/api/v1/broadcasts/bc_1/confirm", err(403, "FORBIDDEN", "Needs broadcast:confirm", { needs: "broadcast:confirm" }));
    const r = await cli(["broadcast", "-m", "hello all", "--yes", "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ id: "bc_1", state: "awaiting_confirmation", awaitingConfirmation: true });
  });

  it("on a terminal: preview, ask y/N; 'n' creates nothing", async () => {
    const preview = { dryRun: true, message: "hello all", messageBytes: 9, sha256: "c".repeat(64), session: "main", recipients: broadcast("x").recipients, skipped: [], warnings: [] };
    api.on("POST", "/api/v1/broadcasts", (req) => (req.body.dryRun ? { status: 200, body: preview } : { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "t" }) }));
    const no = await cli(["broadcast", "-m", "hello all"], { isTTY: true, answers: ["n"] });
    expect(no.code).toBe(0);
    expect(no.io.prompts).toEqual(["Broadcast to 2 teammate(s)? [y/N] "]);
    expect(no.err).toContain("Recipients (2): alice, bob");
    expect(no.err).toContain("Not sent.");
    expect(api.requests.map((q) => q.body.dryRun)).toEqual([true]);

    api.reset();
    api.on("POST", "/api/v1/broadcasts", (req) => (req.body.dryRun ? { status: 200, body: preview } : { status: 201, body: broadcast("awaiting_confirmation", { confirmationToken: "t" }) }));
    api.on("POST", "/api/v1/broadcasts/bc_1/confirm", { status: 200, body: broadcast("completed") });
    const yes = await cli(["broadcast", "-m", "hello all"], { isTTY: true, answers: ["y"] });
    expect(yes.code).toBe(0);
    expect(api.requests.map((q) => `${q.method} ${q.path} ${q.body?.dryRun ?? ""}`)).toEqual([
      "POST /api/v1/broadcasts true",
      "POST /api/v1/broadcasts false",
      "POST /api/v1/broadcasts/bc_1/confirm ",
    ]);
  });
});

describe("late replies: send's hint, reply ID [--wait SEC]", () => {
  it("send that times out prints the message id and the exact command that fetches the late reply", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("timeout", null, { id: "msg_7" }) });
    const r = await cli(["send", "--to", "alice", "-m", "hi"]);
    expect(r.code).toBe(EXIT.FAILED);
    expect(r.out).toContain("No reply yet for message msg_7");
    expect(r.out).toContain("  team-mesh reply msg_7 --wait 60");
    // --json: stdout stays the Message, the hint goes to stderr
    const j = await cli(["send", "--to", "alice", "-m", "hi", "--json"]);
    expect(JSON.parse(j.out)).toMatchObject({ id: "msg_7", status: "timeout" });
    expect(j.err).toContain("team-mesh reply msg_7 --wait 60");
  });

  it("a reply that came: no hint", async () => {
    api.on("POST", "/api/v1/messages", { status: 200, body: message("replied", "done") });
    const r = await cli(["send", "--to", "alice", "-m", "hi"]);
    expect(r.out).not.toContain("team-mesh reply");
  });

  it("reply: asks the server once; the late reply is printed, exit 0; --json is the Message", async () => {
    api.on("POST", "/api/v1/messages/msg_1/late-reply", { status: 200, body: message("replied", "late but here") });
    const r = await cli(["reply", "msg_1"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("late but here");
    expect(api.requests.map((q) => `${q.method} ${q.path}`)).toEqual(["POST /api/v1/messages/msg_1/late-reply"]);
    const j = await cli(["reply", "msg_1", "--json"]);
    expect(JSON.parse(j.out)).toMatchObject({ id: "msg_1", exchanges: [{ reply: "late but here" }] });
  });

  it("reply --wait: keeps asking until the reply is there", async () => {
    let asked = 0;
    api.on("POST", "/api/v1/messages/msg_1/late-reply", () => ({ status: 200, body: ++asked < 2 ? message("timeout", null) : message("replied", "finally") }));
    const r = await cli(["reply", "msg_1", "--wait", "20"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("finally");
    expect(asked).toBe(2);
  });

  it("reply without a reply yet: exit 1, says so and how to try again; --wait gives up at its deadline", async () => {
    api.on("POST", "/api/v1/messages/msg_1/late-reply", { status: 200, body: message("timeout", null) });
    const once = await cli(["reply", "msg_1"]);
    expect(once.code).toBe(EXIT.FAILED);
    expect(once.err).toContain("no late reply for message msg_1 yet. Try again later: team-mesh reply msg_1 --wait 60");
    expect(once.out).not.toContain("No reply yet for message");
    api.reset();
    api.on("POST", "/api/v1/messages/msg_1/late-reply", { status: 200, body: message("timeout", null) });
    const started = Date.now();
    const waited = await cli(["reply", "msg_1", "--wait", "1", "--json"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(8000);
    expect(waited.code).toBe(EXIT.FAILED);
    expect(JSON.parse(waited.out)).toMatchObject({ id: "msg_1", status: "timeout", replyPending: true });
    expect(waited.err).toContain("(waited 1 s)");
    expect(api.requests.length).toBeGreaterThanOrEqual(2);
  });

  it("reply: a message still running is read, not asked about", async () => {
    let reads = 0;
    api.on("POST", "/api/v1/messages/msg_1/late-reply", { status: 200, body: message("sending", null, { exchanges: [] }) });
    api.on("GET", "/api/v1/messages/msg_1", () => ({ status: 200, body: ++reads < 2 ? message("sending", null, { exchanges: [] }) : message("replied", "done now") }));
    const r = await cli(["reply", "msg_1", "--wait", "20"]);
    expect(r.code).toBe(EXIT.OK);
    expect(r.out).toContain("done now");
    expect(api.requests.filter((q) => q.path.endsWith("/late-reply"))).toHaveLength(1);
  });

  it("reply to an unknown id: exit 4 with a clear message (--json: the error object)", async () => {
    api.on("POST", "/api/v1/messages/nope/late-reply", err(404, "MESSAGE_NOT_FOUND", "No message nope"));
    const r = await cli(["reply", "nope"]);
    expect(r.code).toBe(EXIT.NOT_FOUND);
    expect(r.err).toContain("No message with id nope");
    const j = await cli(["reply", "nope", "--json"]);
    expect(j.code).toBe(EXIT.NOT_FOUND);
    expect(JSON.parse(j.out)).toMatchObject({ error: { code: "MESSAGE_NOT_FOUND" }, status: 404 });
  });

  it("reply usage: needs the id; --wait is a whole number 0-3600", async () => {
    expect((await cli(["reply"])).code).toBe(EXIT.USAGE);
    expect((await cli(["reply", "msg_1", "--wait", "soon"])).code).toBe(EXIT.USAGE);
    expect((await cli(["reply", "msg_1", "--wait", "3601"])).code).toBe(EXIT.USAGE);
    expect(api.requests).toHaveLength(0);
  });
});

describe("--json on every command", () => {
  it("usage errors with --json: a parseable error object on stdout, exit 2", async () => {
    const r = await cli(["send", "--to", "alice", "--json"]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(JSON.parse(r.out)).toEqual({ error: { code: "USAGE", message: "send needs --message" } });
    const bad = await cli(["list", "--bogus", "--json"]);
    expect(JSON.parse(bad.out).error.code).toBe("USAGE");
  });

  it("no key with --json: the error object, exit 3", async () => {
    const r = await cli(["list", "--json"], { env: { MESH_URL: api.url, HOME: "/nonexistent-home" } });
    expect(r.code).toBe(EXIT.AUTH);
    expect(JSON.parse(r.out).error.code).toBe("UNAUTHENTICATED");
  });

  it("version --json", async () => {
    expect(JSON.parse((await cli(["version", "--json"])).out)).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it("every API command parses --json", async () => {
    const { parseCommandLine, COMMAND_NAMES } = await import("./args.ts");
    const needs: Record<string, string[]> = { send: ["--to", "a", "-m", "x"], broadcast: ["-m", "x"], import: ["--registry", "r.json"], status: ["id"], reply: ["id"], restore: ["f"], "reset-password": ["u"] };
    const words: Record<string, string[]> = { "audit-verify": ["audit", "verify"], "audit-head": ["audit", "head"], "vault-rotate": ["vault", "rotate"], "reset-password": ["admin", "reset-password"], users: ["users", "list"], templates: ["templates", "list"], schedules: ["schedules", "list"] };
    for (const name of COMMAND_NAMES) {
      const cmd = parseCommandLine([...(words[name] ?? [name]), ...(needs[name] ?? []), "--json"]);
      expect(cmd, name).toMatchObject({ name, json: true });
    }
  });
});

describe("MESH_API_KEY_FILE", () => {
  it("the key from a file when MESH_API_KEY is unset; an unreadable named file is exit 3", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-keyfile-"));
    try {
      const file = join(dir, "team-mesh.key");
      writeFileSync(file, `${KEY}\n`, { mode: 0o600 });
      api.on("GET", "/api/v1/teammates", { status: 200, body: { items: [] } });
      const r = await cli(["list"], { env: { MESH_URL: api.url, MESH_API_KEY_FILE: file } });
      expect(r.code).toBe(EXIT.OK);
      expect(api.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
      // the default place: ~/.openclaw/credentials/team-mesh.key
      const home = join(dir, "home");
      mkdirSync(join(home, ".openclaw/credentials"), { recursive: true });
      writeFileSync(join(home, ".openclaw/credentials/team-mesh.key"), KEY, { mode: 0o600 });
      expect((await cli(["list"], { env: { MESH_URL: api.url, HOME: home } })).code).toBe(EXIT.OK);
      const missing = await cli(["list"], { env: { MESH_URL: api.url, MESH_API_KEY_FILE: join(dir, "nope.key") } });
      expect(missing.code).toBe(EXIT.AUTH);
      expect(missing.err).toContain("cannot read the key file");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
