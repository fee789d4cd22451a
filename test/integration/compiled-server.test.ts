// The server as `npm start` and the Docker image run it: compiled by tsconfig.build.json
// (tsc, .ts imports rewritten to .js) and started as `node <out>/server/main.js`. Checks what
// compiling can break: files found relative to the code (migrations/, package.json, web/dist,
// swagger-ui's assets), the lazily imported modules (A2A, MCP), and a send end to end.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { runProcess } from "../support/run-process.ts";
import { REPO_ROOT, startTestServer, type TestServer } from "../support/server.ts";

// inside the repository, one folder deeper than build/: the code must find the app folder by walking up
const OUT = join(REPO_ROOT, "test-results", `compiled-server-${process.pid}`);
let srv: TestServer;
let gw: FakeGateway;
let key: string;

beforeAll(async () => {
  const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
  const r = await runProcess(process.execPath, [tsc, "-p", "tsconfig.build.json", "--outDir", OUT], { cwd: REPO_ROOT, timeoutMs: 180_000 });
  expect(r.out + r.err).toBe("");
  expect(r.code).toBe(0);
  gw = await startFakeGateway({ token: "tok-compiled", replyDelayMs: 10 });
  srv = await startTestServer({ child: true, childEntry: join(OUT, "server", "main.js") });
  key = await srv.adminKey();
}, 240_000);

afterAll(async () => {
  await srv?.stop();
  await gw?.stop();
  rmSync(OUT, { recursive: true, force: true });
});

describe("the compiled server (build/server/main.js)", () => {
  it("applies every migration from migrations/ and reports the package's version", async () => {
    const ready = await srv.api("GET", "/readyz");
    expect(ready.status).toBe(200);
    const { migrations } = ready.body as { migrations: { applied: number; expected: number } };
    expect(migrations.expected).toBeGreaterThan(10);
    expect(migrations.applied).toBe(migrations.expected);
    const config = await srv.api("GET", "/api/v1/config", undefined, { key });
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, "package.json"), "utf8")) as { version: string };
    expect((config.body as { version: string }).version).toBe(pkg.version);
  });

  it("serves the API reference with swagger-ui's assets", async () => {
    const css = await srv.api("GET", "/api/docs/assets/swagger-ui.css");
    expect(css.status).toBe(200);
    expect(String(css.body)).toContain(".swagger-ui");
  });

  it("loads the lazily imported A2A module (its .ts import rewritten)", async () => {
    const card = await srv.api("GET", "/.well-known/agent-card.json");
    expect(card.status).toBe(200);
    expect((card.body as { name?: string }).name).toBeTruthy();
  });

  it("sends to a teammate and returns the reply", async () => {
    await srv.addTeammate({ handle: "ann", gatewayUrl: gw.url, token: "tok-compiled" });
    const r = await srv.api("POST", "/api/v1/messages", { to: "ann", message: "hello from the build" }, { key });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: "replied" });
    expect(gw.received).toContain("hello from the build");
  });
});
