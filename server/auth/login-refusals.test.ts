// Rate-limited sign-ins are audited as one first entry + one aggregate per key and window, not
// one permanent row each (issue 8, item 8: 5,000 refused attempts used to add 5,000 rows).
import { randomBytes } from "node:crypto";
import { createAuditLog } from "../audit/index.ts";
import type { AuditLog } from "../audit/types.ts";
import { createAuthService, type LoginLimiter } from "./index.ts";
import { createRefusalAudit } from "./refusal-audit.ts";
import { createVault } from "../vault/index.ts";
import { apiError } from "../../test/support/api-error.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

let t: TmpDb;
let audit: AuditLog;
let clock: number;
const now = () => clock;
const PW = "correct horse battery";
const WINDOW = 5 * 60_000;

const loginRows = () => audit.query({ kind: "login", limit: 500 }).items;
const refusalRows = () => loginRows().filter((e) => e.errorCode === "RATE_LIMITED");

beforeEach(() => {
  t = tmpDb();
  audit = createAuditLog({ db: t.db, vault: createVault(t.db, randomBytes(32)) });
  clock = 1_700_000_000_000;
});
afterEach(() => t.cleanup());

describe("rate-limited sign-ins in the audit trail", () => {
  it("5,000 refused attempts add 2 rows: the first refusal and one aggregate with the count", async () => {
    const s = createAuthService({ db: t.db, config: { adminPassword: PW }, audit, now });
    s.bootstrap();
    for (let i = 0; i < 10; i++) expect(apiError(() => s.login("admin", "bad-password-x", "1.1.1.1")).code).toBe("INVALID_CREDENTIALS");
    // failures below the limit are still audited one by one
    expect(loginRows().filter((e) => e.details?.reason === "wrong_password")).toHaveLength(10);
    const before = loginRows().length;
    for (let i = 0; i < 5000; i++) {
      clock += 1; // 5 s in all: inside the window
      const e = apiError(() => s.login("admin", PW, "1.1.1.1"));
      expect(e.code).toBe("RATE_LIMITED");
      expect((e.details as { retryAfterSec: number }).retryAfterSec).toBeGreaterThan(0);
    }
    expect(loginRows().length - before).toBeLessThanOrEqual(3);
    const [first] = refusalRows();
    expect(first).toMatchObject({ outcome: "failed", actor: "user:admin", errorCode: "RATE_LIMITED" });
    expect(first?.details).toMatchObject({ action: "login_refused", username: "admin", ip: "1.1.1.1", windowStart: new Date(1_700_000_000_001).toISOString() });
    // shutdown writes the aggregate of the open window
    s.close();
    const rows = refusalRows();
    expect(rows).toHaveLength(2);
    const agg = rows.find((e) => e.details?.action === "login_refused_aggregate");
    expect(agg?.details).toMatchObject({
      username: "admin",
      ip: "1.1.1.1",
      refused: 5000,
      from: new Date(1_700_000_000_001).toISOString(),
      to: new Date(1_700_000_005_000).toISOString(),
    });
    expect(loginRows().length - before).toBe(2);
    expect((await audit.verify()).ok).toBe(true);
  });

  it("a refusal after the window writes the ended window's aggregate, then opens a new window", () => {
    const r = createRefusalAudit({ audit, now, windowMs: WINDOW, timer: false });
    for (let i = 0; i < 7; i++) r.refused("bob", "2.2.2.2");
    expect(refusalRows()).toHaveLength(1);
    clock += WINDOW;
    r.refused("bob", "2.2.2.2");
    const rows = refusalRows(); // newest first
    expect(rows.map((e) => e.details?.action)).toEqual(["login_refused", "login_refused_aggregate", "login_refused"]);
    expect(rows[1]?.details).toMatchObject({ refused: 7 });
    // a window with a single refusal needs no aggregate
    r.flush();
    expect(refusalRows()).toHaveLength(3);
  });

  it("ended windows of other keys are written by the next refusal's sweep", () => {
    const r = createRefusalAudit({ audit, now, windowMs: WINDOW, timer: false });
    r.refused("a", "1.1.1.1");
    r.refused("a", "1.1.1.1");
    clock += WINDOW + 1;
    r.refused("b", "1.1.1.1");
    expect(refusalRows().find((e) => e.details?.action === "login_refused_aggregate")?.details).toMatchObject({ username: "a", refused: 2 });
    expect(r.size()).toBe(1);
  });

  it("memory is bounded: past maxKeys, refusals fold into one global window", () => {
    const r = createRefusalAudit({ audit, now, windowMs: WINDOW, maxKeys: 50, timer: false });
    for (let i = 0; i < 5000; i++) r.refused(`guess-${i}`, `10.0.${i % 250}.${i % 7}`);
    expect(r.size()).toBe(50);
    // 50 first entries + one for the overflow window
    expect(refusalRows()).toHaveLength(51);
    r.flush();
    const rows = refusalRows();
    expect(rows).toHaveLength(52);
    const overflow = rows.filter((e) => e.details?.overflow === true);
    expect(overflow.map((e) => e.details?.action).sort()).toEqual(["login_refused", "login_refused_aggregate"]);
    expect(overflow.find((e) => e.details?.action === "login_refused_aggregate")?.details).toMatchObject({ username: "*", ip: "*", refused: 4950 });
    expect(r.size()).toBe(0);
  });

  it("many distinct usernames refused by the service stay bounded in rows and memory", () => {
    const refusals = createRefusalAudit({ audit, now, windowMs: WINDOW, maxKeys: 100, timer: false });
    const alwaysLimited: LoginLimiter = { retryAfterSec: () => 60, fail: () => undefined, reset: () => undefined };
    const s = createAuthService({ db: t.db, config: { adminPassword: PW }, audit, now, limiter: alwaysLimited, refusalAudit: refusals });
    s.bootstrap();
    for (let i = 0; i < 3000; i++) expect(apiError(() => s.login(`user-${i}`, "whatever-pass", "3.3.3.3")).code).toBe("RATE_LIMITED");
    expect(refusals.size()).toBeLessThanOrEqual(100);
    s.close();
    expect(refusalRows().length).toBeLessThanOrEqual(102);
    const total = refusalRows().reduce((n, e) => n + (e.details?.action === "login_refused_aggregate" ? Number(e.details.refused) : 0), 0);
    // every key's window saw one refusal (its first entry), the overflow window counts the rest
    expect(total).toBe(2900);
  });

  it("username spraying from one address past the per-address limit is one window", () => {
    const refusals = createRefusalAudit({ audit, now, windowMs: WINDOW, timer: false });
    const ipLimited: LoginLimiter = { retryAfterSec: () => 30, fail: () => undefined, reset: () => undefined };
    const s = createAuthService({ db: t.db, config: { adminPassword: PW }, audit, now, ipLimiter: ipLimited, refusalAudit: refusals });
    for (let i = 0; i < 500; i++) expect(apiError(() => s.login(`spray-${i}`, "whatever-pass", "6.6.6.6")).code).toBe("RATE_LIMITED");
    expect(refusals.size()).toBe(1);
    s.close();
    const rows = refusalRows();
    expect(rows).toHaveLength(2);
    expect(rows.every((e) => e.actor === "anonymous" && e.details?.username === "*" && e.details?.ip === "6.6.6.6")).toBe(true);
    expect(rows.find((e) => e.details?.action === "login_refused_aggregate")?.details).toMatchObject({ refused: 500 });
  });
});
