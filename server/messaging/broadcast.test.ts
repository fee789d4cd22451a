import { writeBatchOf } from "../db/write-batch.ts";
import { startFakeGateway, type FakeGateway } from "../../test/support/fake-gateway.ts";
import { createHarness, operator, requester, type Harness } from "../../test/support/messaging-harness.ts";

const TOKEN = "gw-secret-token-abcdef";
const create = { message: "standup at 10", session: "main", timeoutSec: 5, dryRun: false, fallback: true };

describe("broadcast service", () => {
  let h: Harness;
  let gws: FakeGateway[];
  beforeEach(async () => {
    gws = await Promise.all([0, 1, 2].map(() => startFakeGateway({ token: TOKEN })));
    h = createHarness({ MESH_BROADCAST_CONCURRENCY: "2" }, { me: "me" });
    h.registry.create({ handle: "me", name: "Me", gatewayUrl: gws[0]!.url, token: TOKEN }, "t");
    h.registry.create({ handle: "ann", name: "Ann", gatewayUrl: gws[1]!.url, token: TOKEN }, "t");
    h.registry.create({ handle: "ben", name: "Ben", gatewayUrl: gws[2]!.url, token: TOKEN }, "t");
    h.registry.create({ handle: "cat", name: "Cat", gatewayUrl: null }, "t");
    h.registry.create({ handle: "dan", name: "Dan", gatewayUrl: gws[2]!.url }, "t");
  });
  afterEach(async () => {
    await h.close();
    await Promise.all(gws.map((g) => g.stop()));
  });

  it("creates awaiting confirmation with skipped reasons; token only for confirmers", async () => {
    const r = await h.broadcasts.create(create, operator);
    if (r.kind !== "created") throw new Error("expected created");
    expect(r.broadcast.state).toBe("awaiting_confirmation");
    expect(r.broadcast.recipients.map((x) => x.handle)).toEqual(["ann", "ben"]);
    expect(Object.fromEntries(r.broadcast.skipped.map((s) => [s.handle, s.reason]))).toEqual({ me: "self", cat: "no_address", dan: "no_credentials" });
    expect(r.broadcast.confirmationToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    expect(h.broadcasts.get(r.broadcast.id, requester).confirmationToken).toBeNull();
  });

  it("confirm sends once to exactly the recipients; second confirm and wrong token fail", async () => {
    const r = await h.broadcasts.create(create, operator);
    if (r.kind !== "created") throw new Error("expected created");
    const token = r.broadcast.confirmationToken as string;
    await expect(h.broadcasts.confirm(r.broadcast.id, token.slice(0, -2) + "xx", false, operator)).rejects.toMatchObject({ code: "CONFIRMATION_TOKEN_INVALID" });
    const [a, b] = await Promise.allSettled([
      h.broadcasts.confirm(r.broadcast.id, token, true, operator),
      h.broadcasts.confirm(r.broadcast.id, token, true, operator),
    ]);
    expect([a.status, b.status].sort()).toEqual(["fulfilled", "rejected"]);
    const done = (a.status === "fulfilled" ? a.value : (b as PromiseFulfilledResult<never>).value) as { state: string; recipients: { status: string }[] };
    expect(done.state).toBe("completed");
    expect(done.recipients.map((x) => x.status)).toEqual(["replied", "replied"]);
    expect(gws[0]!.received).toEqual([]);
    expect(gws[1]!.received).toEqual(["standup at 10"]);
    expect(gws[2]!.received).toEqual(["standup at 10"]);
    await expect(h.broadcasts.retry(r.broadcast.id, true, operator)).rejects.toMatchObject({ code: "NOTHING_TO_RETRY" });
  });

  it("writes each recipient twice when the gateway's run id is the idempotency key: pending (key on record), then final", async () => {
    const r = await h.broadcasts.create(create, operator);
    if (r.kind !== "created") throw new Error("expected created");
    await h.broadcasts.confirm(r.broadcast.id, r.broadcast.confirmationToken as string, true, operator);
    await writeBatchOf(h.db.$client).durable(); // recipient events are published after their commit
    const updates = h.events.filter((e) => e.type === "broadcast.recipient");
    const per = (handle: string) => updates.filter((e) => e.type === "broadcast.recipient" && e.recipient.handle === handle).map((e) => e.type === "broadcast.recipient" && e.recipient.status);
    expect(per("ann")).toEqual(["sending", "replied"]);
    expect(per("ben")).toEqual(["sending", "replied"]);
    const row = h.db.$client.prepare("select run_id from broadcast_recipients where broadcast_id = ? and handle = 'ann'").get(r.broadcast.id) as { run_id: string };
    expect(row.run_id).toBe(`${r.broadcast.id}-ann-1`);
  });

  it("cancel before confirm sends nothing", async () => {
    const r = await h.broadcasts.create(create, operator);
    if (r.kind !== "created") throw new Error("expected created");
    const c = await h.broadcasts.cancel(r.broadcast.id, operator);
    expect(c.state).toBe("cancelled");
    await expect(h.broadcasts.confirm(r.broadcast.id, r.broadcast.confirmationToken as string, true, operator)).rejects.toMatchObject({ code: "BROADCAST_CANCELLED" });
    expect(gws.flatMap((g) => g.received)).toEqual([]);
  });
});
