// Serves the built dashboard (web/dist) with an SPA fallback: any GET that is not an API path
// and not a file answers index.html. API paths never fall back (they get a JSON 404).
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import { errorBody } from "./errors.ts";

export const WEB_DIST = resolve(dirname(fileURLToPath(import.meta.url)), "../../web/dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
  ".map": "application/json",
  ".webmanifest": "application/manifest+json",
};

const isApiPath = (p: string) => p === "/api" || p.startsWith("/api/") || p === "/metrics" || p === "/healthz" || p === "/readyz";

export function staticRoutes(root = WEB_DIST): Hono {
  const app = new Hono();
  app.on(["GET", "HEAD"], "*", async (c) => {
    let path: string;
    try {
      path = decodeURIComponent(c.req.path);
    } catch {
      // malformed percent-encoding (e.g. "/%E0%A4%A"): no file has that name
      return c.json(errorBody("NOT_FOUND", "No such page (malformed percent-encoding in the path)"), 404);
    }
    if (isApiPath(path)) return c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404);
    const index = join(root, "index.html");
    const candidate = normalize(join(root, path));
    let file: string | null = null;
    if ((candidate === root || candidate.startsWith(root + sep)) && existsSync(candidate) && statSync(candidate).isFile()) file = candidate;
    else if (!extname(path) && existsSync(index)) file = index; // SPA route
    if (!file) return c.json(errorBody("NOT_FOUND", `No route for ${c.req.method} ${c.req.path}`), 404);
    const body = await readFile(file);
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    const immutable = file.includes(`${sep}assets${sep}`);
    return c.body(new Uint8Array(body), 200, {
      "Content-Type": type,
      "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      "X-Content-Type-Options": "nosniff",
    });
  });
  return app;
}
