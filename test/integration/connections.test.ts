// Socket-level limits of the real process: header / request timeouts, idle sockets, the cap on
// connections per address — and a send waiting for its reply is not cut by the request timeout.
import { connect, type Socket } from "node:net";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-connections-7d7d";

/** Opens a socket; resolves once connected. */
function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, "127.0.0.1", () => resolve(s));
    s.once("error", reject);
  });
}

/** Everything the server sends until it closes the socket (bounded so a hang fails the test). */
function readUntilClosed(s: Socket, boundMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = "";
    const timer = setTimeout(() => reject(new Error(`socket still open after ${boundMs} ms; got ${JSON.stringify(data)}`)), boundMs);
    s.on("data", (d: Buffer) => (data += d.toString()));
    s.on("error", () => undefined);
    s.once("close", () => {
      clearTimeout(timer);
      resolve(data);
    });
  });
}

/** One keep-alive GET on an open socket; resolves with the response head once it arrives. */
function getOn(s: Socket, path: string): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    const onData = (d: Buffer) => {
      data += d.toString();
      if (data.includes("\r\n\r\n")) {
        s.off("data", onData);
        resolve(data);
      }
    };
    s.on("data", onData);
    s.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

describe("timeouts", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN });
    srv = await startTestServer({ child: true, env: { MESH_HEADER_TIMEOUT_SEC: "1", MESH_REQUEST_TIMEOUT_SEC: "1", MESH_MAX_CONNECTIONS_PER_IP: "400" } });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("150 idle sockets do not keep /healthz from answering", { timeout: 60_000 }, async () => {
    const idle = await Promise.all(Array.from({ length: 150 }, () => open(srv.port)));
    try {
      const res = await srv.api("GET", "/healthz");
      expect(res.status).toBe(200);
    } finally {
      for (const s of idle) s.destroy();
    }
  });

  it("a socket that never finishes its headers is closed with 408 in the error envelope", { timeout: 60_000 }, async () => {
    const s = await open(srv.port);
    s.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow:");
    const answer = await readUntilClosed(s);
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/content-type: application\/json/i);
    const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { error: { code: string; message: string } };
    expect(body.error.code).toBe("REQUEST_TIMEOUT");
    expect(body.error.message).toMatch(/not received in time/);
  });

  it("a send waiting longer than the request timeout for its reply still gets it", { timeout: 60_000 }, async () => {
    const key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob", gatewayUrl: gw.url, token: TOKEN });
    // the request timeout is 1 s; the reply comes after 3 s
    const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: "slow one [[delay:3000]]", wait: true, timeoutSec: 60 }, { key });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("replied");
  });
});

describe("connections per address", () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer({ child: true, env: { MESH_MAX_CONNECTIONS_PER_IP: "20", MESH_KEEPALIVE_TIMEOUT_SEC: "600" } });
  });
  afterAll(async () => {
    await srv.stop();
  });

  it("a connection over the cap is closed unanswered; a freed slot takes a new one", { timeout: 60_000 }, async () => {
    const held: Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const s = await open(srv.port);
        held.push(s);
        // answered: the server counts this connection
        expect(await getOn(s, "/healthz")).toMatch(/^HTTP\/1\.1 200 /);
      }
      const over = await open(srv.port);
      const closed = readUntilClosed(over);
      over.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
      expect(await closed).toBe("");

      held.shift()?.destroy();
      const answered = await until(
        async () => {
          const s = await open(srv.port);
          const head = await Promise.race([getOn(s, "/healthz"), readUntilClosed(s)]);
          s.destroy();
          return head;
        },
        (head) => head.startsWith("HTTP/1.1 200"),
        20_000,
      );
      expect(answered).toMatch(/^HTTP\/1\.1 200 /);
    } finally {
      for (const s of held) s.destroy();
    }
  });
});
