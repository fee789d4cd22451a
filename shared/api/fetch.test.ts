import { describe, expect, it } from "vitest";
import { ApiError, bodyAt, bodyOf } from "./fetch.ts";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

describe("bodyAt: the body of the answer with the expected status", () => {
  it("returns the JSON body when the status is the expected one", async () => {
    await expect(bodyAt(json(202, { id: "m1", status: "queued" }), 202)).resolves.toEqual({ id: "m1", status: "queued" });
  });

  it("refuses another 2xx (a 200 message where a 202 was expected) as BAD_RESPONSE naming both statuses", async () => {
    const err = await bodyAt(json(200, { id: "m1", exchanges: [] }), 202).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code: "BAD_RESPONSE", status: 200 });
    expect((err as ApiError).message).toContain("200 where 202 was expected");
  });

  it("refuses a 2xx body that is not JSON", async () => {
    await expect(bodyAt(new Response("<html>", { status: 200 }), 200)).rejects.toMatchObject({ code: "BAD_RESPONSE" });
  });
});

describe("bodyOf", () => {
  it("is undefined for 204", async () => {
    await expect(bodyOf(new Response(null, { status: 204 }))).resolves.toBeUndefined();
  });
});
