import { randomBytes } from "node:crypto";
import { Hono } from "hono";
import { createAuditLog } from "../audit/index.ts";
import { authenticate, createAuthService, requirePermission, requiresAuth, type AppEnv, type AuthService } from "./index.ts";
import { ApiError, errorBody } from "../errors.ts";
import { createVault } from "../vault/index.ts";
import { tmpDb, type TmpDb } from "../../test/support/tmpdb.ts";

let t: TmpDb;
let auth: AuthService;
let app: Hono<AppEnv>;
let session: string;
let auditorKey: string;

beforeEach(() => {
  t = tmpDb();
  const audit = createAuditLog({ db: t.db, vault: createVault(t.db, randomBytes(32)) });
  auth = createAuthService({ db: t.db, config: { adminPassword: "admin password 1" }, audit });
  auth.bootstrap();
  session = auth.login("admin", "admin password 1", "ip").sessionToken;
  auditorKey = auth.createKey({ name: "aud", role: "auditor" }, "u").key;
  app = new Hono<AppEnv>();
  app.onError((err, c) => (err instanceof ApiError ? c.json(errorBody(err.code, err.message, err.details), err.status as 400) : c.json({ err: String(err) }, 500)));
  app.use("*", authenticate({ db: t.db, config: { adminPassword: undefined, secureCookies: false, trustProxy: false }, audit, auth }));
  app.get("/healthz", (c) => c.json({ principal: c.get("principal")?.label ?? null }));
  app.post("/api/v1/auth/login", (c) => c.json({ principal: c.get("principal")?.label ?? null }));
  app.get("/api/v1/thing", requirePermission("audit:read"), (c) => c.json({ by: c.get("principal")?.label, via: c.get("authVia") }));
  app.post("/api/v1/thing", requirePermission("teammates:write"), (c) => c.json({ by: c.get("principal")?.label }));
});
afterEach(() => t.cleanup());

const code = async (res: Response) => ((await res.json()) as { error?: { code: string; details?: unknown } }).error;

describe("authenticate + requirePermission", () => {
  it("public paths pass without credentials; the API needs them", async () => {
    expect(requiresAuth("/healthz")).toBe(false);
    expect(requiresAuth("/")).toBe(false);
    expect(requiresAuth("/api/docs")).toBe(false);
    expect(requiresAuth("/api/v1/openapi.json")).toBe(false);
    expect(requiresAuth("/api/v1/auth/login")).toBe(false);
    expect(requiresAuth("/api/v1/auth/setup")).toBe(false);
    expect(requiresAuth("/api/v1/auth/me")).toBe(true);
    expect(requiresAuth("/api/v1/events")).toBe(true);
    expect((await app.request("/healthz")).status).toBe(200);
    const r = await app.request("/api/v1/thing");
    expect(r.status).toBe(401);
    expect((await code(r))?.code).toBe("UNAUTHENTICATED");
    // a bad key on a public path is ignored, on the API it is a 401
    expect((await app.request("/healthz", { headers: { Authorization: "Bearer tm_bad" } })).status).toBe(200);
    expect((await app.request("/api/v1/thing", { headers: { Authorization: "Bearer tm_bad" } })).status).toBe(401);
  });

  it("bearer keys and cookies set the principal; 403 names the permission and roles", async () => {
    const byKey = await app.request("/api/v1/thing", { headers: { Authorization: `Bearer ${auditorKey}` } });
    expect(await byKey.json()).toEqual({ by: "key:aud", via: "bearer" });
    const byCookie = await app.request("/api/v1/thing", { headers: { Cookie: `mesh_session=${session}` } });
    expect(await byCookie.json()).toEqual({ by: "user:admin", via: "cookie" });
    const denied = await app.request("/api/v1/thing", { method: "POST", headers: { Authorization: `Bearer ${auditorKey}` } });
    expect(denied.status).toBe(403);
    expect(await code(denied)).toMatchObject({ code: "FORBIDDEN", details: { needs: "teammates:write", roles: ["admin"] } });
  });

  it("CSRF: a cookie POST needs X-Requested-With: team-mesh; a bearer POST does not", async () => {
    const bare = await app.request("/api/v1/thing", { method: "POST", headers: { Cookie: `mesh_session=${session}` } });
    expect(bare.status).toBe(403);
    expect((await code(bare))?.code).toBe("CSRF_REJECTED");
    const wrong = await app.request("/api/v1/thing", { method: "POST", headers: { Cookie: `mesh_session=${session}`, "X-Requested-With": "XMLHttpRequest" } });
    expect(wrong.status).toBe(403);
    const ok = await app.request("/api/v1/thing", { method: "POST", headers: { Cookie: `mesh_session=${session}`, "X-Requested-With": "team-mesh" } });
    expect(ok.status).toBe(200);
    const adminKey = auth.createKey({ name: "adm", role: "admin" }, "u").key;
    expect((await app.request("/api/v1/thing", { method: "POST", headers: { Authorization: `Bearer ${adminKey}` } })).status).toBe(200);
  });
});
