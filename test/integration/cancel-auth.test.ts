// Who may cancel: a send or broadcast may be cancelled by whoever made it, or by a role that may
// release broadcasts (operator, admin); anyone else gets 403 CANCEL_FORBIDDEN and nothing stops.
// Every cancel is in the audit trail with the actor who did it.
import { startFakeGateway, type FakeGateway } from "../support/fake-gateway.ts";
import { startTestServer, until, type TestServer } from "../support/server.ts";

const TOKEN = "gw-token-cancel-auth-2b9e";

describe("cancel authorization", () => {
  let srv: TestServer;
  let gw: FakeGateway;
  let alice: string; // requester
  let bob: string; // another requester
  let operator: string;
  let admin: string;

  beforeAll(async () => {
    gw = await startFakeGateway({ token: TOKEN, reply: (m) => `ack ${m}` });
    srv = await startTestServer();
    admin = await srv.adminKey();
    operator = await srv.keyFor("operator");
    const mk = async (name: string) => (await srv.api("POST", "/api/v1/api-keys", { name, role: "requester" }, { key: admin })).body.key as string;
    alice = await mk("alice-bot");
    bob = await mk("bob-bot");
    await srv.addTeammate({ handle: "zoe", name: "Zoe", gatewayUrl: gw.url, token: TOKEN });
  });
  afterAll(async () => {
    await srv.stop();
    await gw.stop();
  });

  const slowSend = async (key: string, session: string) => {
    const r = await srv.api("POST", "/api/v1/messages", { to: "zoe", message: "[[delay:20000]] long job", session, timeoutSec: 60, wait: false }, { key });
    expect(r.status).toBe(202);
    await until(() => srv.api("GET", r.body.href, undefined, { key }), (m) => m.body.status === "sending");
    return r.body.id as string;
  };
  const cancelsIn = async (id: string) =>
    (await srv.api("GET", `/api/v1/audit?messageId=${id}&kind=send`, undefined, { key: admin })).body.items.filter(
      (e: { details: { action?: string } | null }) => e.details?.action === "cancelled",
    );

  it("another requester may not cancel someone's send; the sender may, and the trail names who did", async () => {
    const id = await slowSend(alice, "s1");
    const denied = await srv.api("POST", `/api/v1/messages/${id}/cancel`, undefined, { key: bob });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("CANCEL_FORBIDDEN");
    expect((await srv.api("GET", `/api/v1/messages/${id}`, undefined, { key: alice })).body.status).toBe("sending");
    expect(await cancelsIn(id)).toEqual([]);

    const ok = await srv.api("POST", `/api/v1/messages/${id}/cancel`, undefined, { key: alice });
    expect(ok.status).toBe(200);
    expect(await cancelsIn(id)).toEqual([expect.objectContaining({ actor: "key:alice-bot", outcome: "cancelled" })]);
  });

  it("an operator may cancel another's send, and is recorded as the one who did", async () => {
    const id = await slowSend(alice, "s2");
    const ok = await srv.api("POST", `/api/v1/messages/${id}/cancel`, undefined, { key: operator });
    expect(ok.status).toBe(200);
    const [entry] = await cancelsIn(id);
    expect(entry).toMatchObject({ outcome: "cancelled", details: { sender: "alice-bot" } });
    expect(entry.actor).toMatch(/^key:/);
    expect(entry.actor).not.toBe("key:alice-bot");
  });

  it("broadcasts: the creator (a requester) may cancel their own, another requester may not", async () => {
    const b = (await srv.api("POST", "/api/v1/broadcasts", { message: "lunch?" }, { key: alice })).body;
    const denied = await srv.api("POST", `/api/v1/broadcasts/${b.id}/cancel`, undefined, { key: bob });
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("CANCEL_FORBIDDEN");
    expect((await srv.api("GET", `/api/v1/broadcasts/${b.id}`, undefined, { key: alice })).body.state).toBe("awaiting_confirmation");
    const ok = await srv.api("POST", `/api/v1/broadcasts/${b.id}/cancel`, undefined, { key: alice });
    expect(ok.status).toBe(200);
    expect(ok.body.state).toBe("cancelled");
    const trail = await srv.api("GET", `/api/v1/audit?broadcastId=${b.id}`, undefined, { key: admin });
    expect(trail.body.items.filter((e: { outcome: string }) => e.outcome === "cancelled").map((e: { actor: string }) => e.actor)).toEqual(["key:alice-bot"]);
    expect(gw.received).not.toContain("lunch?");
  });
});
