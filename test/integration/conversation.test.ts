// GET /messages as the conversation view reads it: one teammate's (and session's) history,
// keyset-paged by nextCursor, searchable; bad filters answer 400 with a code.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-conv-3b7a";

describe("conversation paging and filters", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let key: string;
  const sent: string[] = [];

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `re: ${m}` });
    srv = await startTestServer();
    key = await srv.keyFor("operator");
    await srv.addTeammate({ handle: "bob", name: "Bob Builder", gatewayUrl: gw.url, token: TOKEN });
    await srv.addTeammate({ handle: "ann", name: "Ann Other", gatewayUrl: gw.url, token: TOKEN });
    for (let i = 1; i <= 5; i++) {
      const res = await srv.api("POST", "/api/v1/messages", { to: "bob", message: `bob note ${i}`, session: i % 2 ? "main" : "ops" }, { key });
      expect(res.status).toBe(200);
      sent.push(res.body.id);
    }
    expect((await srv.api("POST", "/api/v1/messages", { to: "ann", message: "ann note" }, { key })).status).toBe(200);
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  const list = (qs: string) => srv.api("GET", `/api/v1/messages?${qs}`, undefined, { key });

  it("pages one teammate's history newest first until nextCursor is null", async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    const sizes: number[] = [];
    do {
      const res = await list(`teammate=bob&limit=2${cursor ? `&before=${encodeURIComponent(cursor)}` : ""}`);
      expect(res.status).toBe(200);
      sizes.push(res.body.items.length);
      for (const m of res.body.items) {
        expect(m.to.handle).toBe("bob");
        seen.push(m.id);
      }
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(sizes).toEqual([2, 2, 1]);
    expect(seen).toEqual([...sent].reverse());
    // a page exactly the size of the history has no next page
    expect((await list("teammate=bob&limit=5")).body.nextCursor).toBeNull();
    expect((await list("teammate=bob&limit=4")).body.nextCursor).toEqual(expect.any(String));
  });

  it("filters by session and searches the texts, also the replies", async () => {
    const ops = await list("teammate=bob&session=ops");
    expect(ops.body.items.map((m: { exchanges: { message: string }[] }) => m.exchanges[0]!.message)).toEqual(["bob note 4", "bob note 2"]);
    const found = await list("teammate=BOB&q=RE%3A%20BOB%20NOTE%203");
    expect(found.body.items).toHaveLength(1);
    expect(found.body.items[0].exchanges[0].reply).toBe("re: bob note 3");
    expect((await list("q=ann%20note")).body.items.map((m: { to: { handle: string } }) => m.to.handle)).toEqual(["ann"]);
    expect((await list("teammate=ghost")).body).toEqual({ items: [], nextCursor: null });
  });

  it("answers 400 with a code for a bad cursor, session or limit", async () => {
    const cursor = await list("teammate=bob&before=not-a-cursor");
    expect(cursor.status).toBe(400);
    expect(cursor.body.error.code).toBe("BAD_REQUEST");
    expect(cursor.body.error.message).toMatch(/nextCursor/);
    for (const qs of ["session=bad%20session", "limit=0", "limit=501", "q="]) {
      const res = await list(qs);
      expect(res.status, qs).toBe(400);
      expect(res.body.error.code, qs).toEqual(expect.any(String));
    }
    expect((await list("limit=500")).status).toBe(200);
  });
});
