// REST routes: /auth/setup, /auth/login, /auth/logout, /auth/me, /auth/password, /users, /api-keys.
// Paths are relative: the app mounts them under /api/v1.
import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { z } from "zod";
import { ApiKey, ApiKeyCreate, ApiKeyCreated, LoginRequest, Me, PasswordChange, PasswordReset, SetupRequest, SetupState, User, UserCreate, UserCreated, UserUpdate } from "../../shared/api/auth.ts";
import { authServiceOf, type AuthDeps } from "./deps.ts";
import type { AppEnv } from "./context.ts";
import { clientIp, principalOf, requirePermission } from "./middleware.ts";
import { createRouter, errorResponses } from "../http/router.ts";
import { ApiError } from "../errors.ts";
import { SESSION_COOKIE, SESSION_TTL_MS, type SignedIn } from "./service.ts";
import type { Principal } from "./types.ts";

export type AuthRouteDeps = AuthDeps;

const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { "application/json": { schema } }, description });
const body = <T extends z.ZodType>(schema: T) => ({ body: { content: { "application/json": { schema } }, required: true } });

export function toMe(p: Principal): z.infer<typeof Me> {
  return Me.parse({ kind: p.kind, name: p.name, role: p.role, ...(p.kind === "user" ? { mustChangePassword: p.mustChangePassword === true } : {}) });
}

/** A rate-limit refusal carries its wait as Retry-After. */
function retryAfter(c: Context<AppEnv>, err: unknown): void {
  const wait = (err as { details?: { retryAfterSec?: number } }).details?.retryAfterSec;
  if (wait) c.header("Retry-After", String(wait));
}

function signIn(c: Context<AppEnv>, deps: AuthRouteDeps, s: SignedIn) {
  setCookie(c, SESSION_COOKIE, s.sessionToken, {
    httpOnly: true,
    sameSite: "Strict",
    path: "/",
    secure: deps.config.secureCookies,
    maxAge: Math.floor(SESSION_TTL_MS / 1000),
  });
  c.set("principal", s.principal);
  return toMe(s.principal);
}

export function sessionRoutes(deps: AuthRouteDeps) {
  const auth = authServiceOf(deps);
  return createRouter()
    .openapi(
      createRoute({ method: "get", path: "/auth/setup", tags: ["auth"], summary: "Whether first-start setup is still needed", responses: { 200: json(SetupState, "Setup state") } }),
      (c) => c.json({ setupRequired: auth.setupRequired() }, 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/auth/setup",
        tags: ["auth"],
        summary: "Create the first admin with the one-time setup code",
        request: body(SetupRequest),
        responses: { 200: json(Me, "Signed in as the new admin"), ...errorResponses(400, 401, 409, 429) },
      }),
      (c) => {
        const input = c.req.valid("json");
        return c.json(signIn(c, deps, auth.completeSetup(input, clientIp(c, deps.config.trustProxy))), 200);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/auth/login",
        tags: ["auth"],
        summary: "Sign in with username and password (sets the session cookie)",
        request: body(LoginRequest),
        responses: { 200: json(Me, "Signed in"), ...errorResponses(400, 401, 429) },
      }),
      (c) => {
        const { username, password } = c.req.valid("json");
        try {
          return c.json(signIn(c, deps, auth.login(username, password, clientIp(c, deps.config.trustProxy))), 200);
        } catch (err) {
          retryAfter(c, err);
          throw err;
        }
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/auth/password",
        tags: ["auth"],
        summary:
          "Replace your own password (signed-in users; the one call besides logout and me left to a session whose password an admin handed over). Ends your other sessions and sets a fresh session cookie",
        request: body(PasswordChange),
        responses: { 200: json(Me, "Changed; signed in with a new session"), ...errorResponses(400, 401, 403, 429) },
      }),
      (c) => {
        const principal = principalOf(c);
        if (principal.kind !== "user" || c.get("authVia") !== "cookie") {
          throw new ApiError("FORBIDDEN", "Only a signed-in user (session cookie) changes their password; an API key cannot");
        }
        try {
          return c.json(signIn(c, deps, auth.changePassword(principal, c.req.valid("json"), clientIp(c, deps.config.trustProxy))), 200);
        } catch (err) {
          retryAfter(c, err);
          throw err;
        }
      },
    )
    .openapi(
      createRoute({ method: "post", path: "/auth/logout", tags: ["auth"], summary: "End the session", responses: { 204: { description: "Signed out" }, ...errorResponses(401, 403) } }),
      (c) => {
        const token = getCookie(c, SESSION_COOKIE);
        if (token) auth.logout(token, c.get("principal"));
        deleteCookie(c, SESSION_COOKIE, { path: "/", secure: deps.config.secureCookies, httpOnly: true, sameSite: "Strict" });
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({ method: "get", path: "/auth/me", tags: ["auth"], summary: "The caller", responses: { 200: json(Me, "The caller"), ...errorResponses(401) } }),
      (c) => c.json(toMe(principalOf(c)), 200),
    );
}

export function usersRoutes(deps: AuthRouteDeps) {
  const auth = authServiceOf(deps);
  const manage = requirePermission("users:manage");
  const Params = z.object({ username: z.string().min(1).max(64) });
  return createRouter()
    .openapi(
      createRoute({ method: "get", path: "/users", tags: ["users"], middleware: [manage], responses: { 200: json(z.object({ items: z.array(User) }), "Users"), ...errorResponses(401, 403) } }),
      (c) => c.json({ items: auth.listUsers() }, 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/users",
        tags: ["users"],
        middleware: [manage],
        summary: "Create a user (without a password, one is generated and shown this once)",
        request: body(UserCreate),
        responses: { 201: json(UserCreated, "Created"), ...errorResponses(400, 401, 403, 409) },
      }),
      (c) => c.json(UserCreated.parse(auth.createUser(c.req.valid("json"), principalOf(c).label)), 201),
    )
    .openapi(
      createRoute({
        method: "patch",
        path: "/users/{username}",
        tags: ["users"],
        middleware: [manage],
        summary: "Change a user's role, disable or enable them, or set a password (the last active admin cannot lose admin: 409 LAST_ADMIN)",
        request: { params: Params, ...body(UserUpdate) },
        responses: { 200: json(User, "Updated"), ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => c.json(auth.updateUser(c.req.valid("param").username, c.req.valid("json"), principalOf(c).label), 200),
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/users/{username}",
        tags: ["users"],
        middleware: [manage],
        request: { params: Params },
        responses: { 204: { description: "Deleted" }, ...errorResponses(400, 401, 403, 404, 409) },
      }),
      (c) => {
        auth.deleteUser(c.req.valid("param").username, principalOf(c).label);
        return c.body(null, 204);
      },
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/users/{username}/reset-password",
        tags: ["users"],
        summary: "Replace a user's password with a generated one-time password (shown this once) and end their sessions",
        middleware: [manage],
        request: { params: Params },
        responses: { 200: json(PasswordReset, "The new password"), ...errorResponses(400, 401, 403, 404) },
      }),
      (c) => c.json(auth.resetPassword(c.req.valid("param").username, principalOf(c).label), 200),
    )
    .openapi(
      createRoute({
        method: "get",
        path: "/users/{username}/api-keys",
        tags: ["users"],
        summary: "The API keys acting for a user (never the key itself)",
        middleware: [manage],
        request: { params: Params },
        responses: { 200: json(z.object({ items: z.array(ApiKey) }), "Their keys"), ...errorResponses(400, 401, 403, 404) },
      }),
      (c) => c.json({ items: auth.userKeys(c.req.valid("param").username) }, 200),
    );
}

export function apiKeysRoutes(deps: AuthRouteDeps) {
  const auth = authServiceOf(deps);
  const manage = requirePermission("keys:manage");
  return createRouter()
    .openapi(
      createRoute({ method: "get", path: "/api-keys", tags: ["api-keys"], middleware: [manage], responses: { 200: json(z.object({ items: z.array(ApiKey) }), "API keys (never the key itself)"), ...errorResponses(401, 403) } }),
      (c) => c.json({ items: auth.listKeys() }, 200),
    )
    .openapi(
      createRoute({
        method: "post",
        path: "/api-keys",
        tags: ["api-keys"],
        middleware: [manage],
        request: body(ApiKeyCreate),
        responses: { 201: json(ApiKeyCreated, "Created: the key is shown this once"), ...errorResponses(400, 401, 403) },
      }),
      (c) => c.json(ApiKeyCreated.parse(auth.createKey(c.req.valid("json"), principalOf(c).label)), 201),
    )
    .openapi(
      createRoute({
        method: "delete",
        path: "/api-keys/{id}",
        tags: ["api-keys"],
        middleware: [manage],
        request: { params: z.object({ id: z.string().min(1).max(100) }) },
        responses: { 204: { description: "Revoked" }, ...errorResponses(401, 403, 404) },
      }),
      (c) => {
        auth.revokeKey(c.req.valid("param").id, principalOf(c).label);
        return c.body(null, 204);
      },
    );
}

/** /auth/* (setup, login, logout, me). Users and API keys: usersRoutes, apiKeysRoutes. */
export function authRoutes(deps: AuthRouteDeps) {
  return sessionRoutes(deps);
}
