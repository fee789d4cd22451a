// The fallback webhook never reveals its URL (it often carries a secret): not in the result a
// send returns, not in the audit trail, not in a log line — even when fetch's own error quotes it.
import { Writable } from "node:stream";
import { createLogger } from "../logger.ts";
import { createFallback, fetchFailure } from "./fallback.ts";
import { createHarness, type Harness } from "../../test/support/messaging-harness.ts";

describe("fallback webhook errors", () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness();
  });
  afterEach(async () => {
    await h.close();
  });

  it.each([
    ["user:password in the URL (fetch refuses and quotes it)", "https://hook:S3CRET-PW@127.0.0.1:9/notify"],
    ["not a URL at all (fetch quotes the value)", "not a url S3CRET-RAW"],
    ["secret in the query, nothing listening", "http://127.0.0.1:9/notify?secret=S3CRET-Q"],
  ])("%s: the failure is recorded without the URL", async (_what, url) => {
    const logs: string[] = [];
    const logger = createLogger({ logLevel: "debug", logPretty: false }, new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
    const fallback = createFallback({ config: { fallbackWebhookUrl: url, emailDomain: undefined }, audit: h.audit, logger, timeoutMs: 2_000 });
    const result = await fallback.notify({ handle: "bob", message: "hello", reason: "unreachable", actor: "test" });
    expect(result).toMatchObject({ attempted: true, ok: false });
    expect(result.error).toMatch(/^webhook request failed: /);
    const entries = h.auditEntries().filter((e) => e.kind === "fallback");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ outcome: "failed", errorCode: "FALLBACK_FAILED" });
    const everything = JSON.stringify(result) + JSON.stringify(entries) + logs.join("");
    expect(everything).not.toContain("S3CRET");
  });

  it("fetchFailure keeps the cause, drops the URL", () => {
    const url = "https://hooks.example/T0/B1?token=S3CRET";
    const err = new TypeError(`Failed to parse URL from ${url}`, { cause: new Error(`Invalid URL ${url}`) });
    expect(fetchFailure(err, url)).toBe("Invalid URL <URL>");
    const refused = new TypeError("fetch failed", { cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" }) });
    expect(fetchFailure(refused, url)).toBe("ECONNREFUSED");
  });
});
