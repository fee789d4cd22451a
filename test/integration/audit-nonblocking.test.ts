// Verify and export walk the whole trail; the server must go on answering while they do.
// Shown by order, not by time: a health check sent after a long verify or export started
// is answered before that verify or export ends.
import WebSocket from "ws";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const ENTRIES = 40_000;

describe("audit verify and export do not block the server", () => {
  let srv: TestServer;
  let key: string;

  beforeAll(async () => {
    srv = await startTestServer();
    key = await srv.keyFor("auditor");
    const audit = srv.running!.services.audit;
    const db = srv.running!.services.db.$client;
    db.transaction(() => {
      for (let i = 0; i < ENTRIES; i++) audit.append({ actor: "user:alice", kind: "send", outcome: "replied", teammate: "bob", message: `status report ${i}`, reply: `all good ${i}` });
    })();
  });
  afterAll(async () => srv?.stop());

  /**
   * Starts a long request; once the server is known to be working on it (`started`), sends a
   * health check. Resolves with the order in which the two finished.
   */
  async function raceHealth(start: () => { started: Promise<unknown>; done: Promise<unknown> }): Promise<string[]> {
    const order: string[] = [];
    const { started, done } = start();
    const long = done.then(() => order.push("long"));
    await started;
    const health = fetch(`${srv.url}/healthz`).then(async (r) => {
      expect(r.status).toBe(200);
      order.push("health");
    });
    await Promise.all([long, health]);
    return order;
  }

  it("answers a health check while a verify walks 40,000 entries, and reports progress on the event stream", async () => {
    const ws = new WebSocket(`${srv.url.replace("http", "ws")}/api/v1/events`, { headers: { Authorization: `Bearer ${key}` } });
    const progress: { running: boolean; checked: number; total: number }[] = [];
    ws.on("message", (data) => {
      const e = JSON.parse(data.toString()) as { type: string; progress?: { running: boolean; checked: number; total: number } };
      if (e.type === "audit.verify" && e.progress) progress.push(e.progress);
    });
    await new Promise((r) => ws.once("open", r));
    await until(() => new Promise((r) => setTimeout(r, 20)).then(() => ws.readyState), (s) => s === WebSocket.OPEN);

    let result: { ok: boolean; checked: number; total: number } | undefined;
    let midway: { running: boolean; checked: number; total: number } | undefined;
    const order = await raceHealth(() => {
      const done = srv.api("GET", "/api/v1/audit/verify", undefined, { key }).then((r) => {
        result = r.body;
      });
      // the walk has begun once its first progress event is out
      const started = until(() => progress, (p) => p.some((x) => x.running)).then(async () => {
        midway = (await srv.api("GET", "/api/v1/audit/verify/progress", undefined, { key })).body;
      });
      return { started, done };
    });
    expect(order).toEqual(["health", "long"]);
    // the seeded entries plus the few the set-up wrote (sign-in, key creation)
    expect(result).toMatchObject({ ok: true });
    const total = result!.total;
    expect(total).toBeGreaterThanOrEqual(ENTRIES);
    expect(result!.checked).toBe(total);
    // asked while it ran: running, part of the way
    expect(midway).toMatchObject({ running: true, total });
    expect(midway!.checked).toBeLessThan(total);

    await until(() => progress, (p) => p.some((x) => !x.running));
    const last = progress[progress.length - 1]!;
    expect(last).toMatchObject({ running: false, checked: total, total });
    expect(progress[0]).toMatchObject({ running: true });
    const counts = progress.map((p) => p.checked);
    expect(counts).toEqual([...counts].sort((a, b) => a - b)); // never goes back
    ws.close();

    const after = await srv.api("GET", "/api/v1/audit/verify/progress", undefined, { key });
    expect(after.body).toMatchObject({ running: false, last: { ok: true, checked: total } });
  });

  it("two verifies at once share one walk", async () => {
    const [a, b] = await Promise.all([srv.api("GET", "/api/v1/audit/verify", undefined, { key }), srv.api("GET", "/api/v1/audit/verify", undefined, { key })]);
    expect(a.body).toEqual(b.body);
    expect(a.body.ok).toBe(true);
  });

  it("answers a health check while an export streams 40,000 entries, and the export holds them all", async () => {
    let lines = 0;
    const order = await raceHealth(() => {
      const response = fetch(`${srv.url}/api/v1/audit/export?format=ndjson&kind=send`, { headers: { Authorization: `Bearer ${key}` } });
      const reader = response.then((r) => {
        expect(r.status).toBe(200);
        return r.body!.getReader();
      });
      let text = "";
      const decoder = new TextDecoder();
      // the first bytes of the file have arrived: the export is under way
      const started = reader.then(async (rd) => {
        const { value } = await rd.read();
        text += decoder.decode(value, { stream: true });
      });
      const done = started.then(async () => {
        const rd = await reader;
        for (;;) {
          const { value, done: end } = await rd.read();
          if (end) break;
          text += decoder.decode(value, { stream: true });
        }
        lines = text.trim().split("\n").length;
      });
      return { started, done };
    });
    expect(order).toEqual(["health", "long"]);
    expect(lines).toBe(ENTRIES);
  });

  it("an export sees one snapshot: entries appended while it streams are not half in it", async () => {
    const r = await fetch(`${srv.url}/api/v1/audit/export?format=ndjson&q=status`, { headers: { Authorization: `Bearer ${key}` } });
    const reader = r.body!.getReader();
    const first = await reader.read(); // the snapshot is taken: append more now
    srv.running!.services.audit.append({ actor: "user:alice", kind: "send", outcome: "replied", message: "status report late" });
    let text = new TextDecoder().decode(first.value);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    const ids = text.trim().split("\n").map((l) => (JSON.parse(l) as { id: number }).id);
    expect(ids).toHaveLength(ENTRIES);
    expect(new Set(ids).size).toBe(ENTRIES);
  });
});
