// A gateway's reply is stored up to MESH_REPLY_MAX_BYTES: the first part is kept (cut on a UTF-8
// boundary), and the message / broadcast records say it was cut and how large the reply was.
import { statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-reply-cap-5e2d";
const CAP = 4096;
const HUGE = "ü".repeat(1_500_000); // 3,000,000 bytes

describe("reply size cap", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let operator: string;

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => (m.includes("huge") ? HUGE : `ack ${m}`) });
    srv = await startTestServer({ env: { MESH_REPLY_MAX_BYTES: String(CAP) } });
    operator = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "ann", name: "Ann", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "ben", name: "Ben", gatewayUrl: gw.url.replace("127.0.0.1", "localhost"), token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  it("a send keeps the first MESH_REPLY_MAX_BYTES and records the full size", async () => {
    const r = await srv.api("POST", "/api/v1/messages", { to: "ann", message: "a huge answer please", timeoutSec: 30 }, { key: operator });
    expect(r.status).toBe(200);
    const x = r.body.exchanges[0];
    expect(x.status).toBe("replied");
    expect(x.reply).toBe("ü".repeat(CAP / 2));
    expect(x.replyFullBytes).toBe(3_000_000);
    // as stored, not only as answered
    const again = await srv.api("GET", `/api/v1/messages/${r.body.id}`, undefined, { key: operator });
    expect(again.body.exchanges[0]).toMatchObject({ reply: x.reply, replyFullBytes: 3_000_000 });
  });

  it("a short reply is kept whole, with no full size", async () => {
    const r = await srv.api("POST", "/api/v1/messages", { to: "ann", message: "hi" }, { key: operator });
    expect(r.body.exchanges[0]).toMatchObject({ reply: "ack hi", replyFullBytes: null });
  });

  it("broadcast recipients record the cut the same way, and the database does not hold the reply", async () => {
    const created = await srv.api("POST", "/api/v1/broadcasts", { message: "huge news", timeoutSec: 30 }, { key: operator });
    const b = created.body;
    await srv.api("POST", `/api/v1/broadcasts/${b.id}/confirm`, { token: b.confirmationToken }, { key: operator });
    const done = await until(
      () => srv.api("GET", `/api/v1/broadcasts/${b.id}`, undefined, { key: operator }),
      (res) => res.body.state === "completed",
      60_000,
      100,
    );
    for (const rec of done.body.recipients) expect(rec).toMatchObject({ status: "replied", reply: "ü".repeat(CAP / 2), replyFullBytes: 3_000_000 });

    const db = new Database(join(srv.dataDir, "team-mesh.db"), { readonly: true });
    try {
      const longest = db.prepare("select max(length(cast(coalesce(reply, '') as blob))) as n from (select reply from audit_entries union all select reply from broadcast_recipients union all select exchanges as reply from messages)").get() as { n: number };
      expect(longest.n).toBeLessThan(2 * CAP + 4096);
    } finally {
      db.close();
    }
    // three 3 MB replies went through; nothing near that was written
    const size = (f: string) => statSync(join(srv.dataDir, f), { throwIfNoEntry: false })?.size ?? 0;
    const dbBytes = size("team-mesh.db") + size("team-mesh.db-wal");
    expect(dbBytes).toBeLessThan(3_000_000);
  });
});
