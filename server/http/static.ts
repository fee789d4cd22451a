// Serves the built dashboard (web/dist) with an SPA fallback: any GET that is not an API path
// and not a file answers index.html. API paths never fall back (they get a JSON 404).
// Text files are compressed once (brotli and gzip) and kept in memory: the whole dashboard is
// a few hundred KiB, and compressing per request would cost every page load CPU.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { brotliCompressSync, constants as zlib, gzipSync } from "node:zlib";
import { extname, join, normalize, sep } from "node:path";
import { Hono } from "hono";
import { errorBody } from "../errors.ts";
import { APP_ROOT } from "../app-root.ts";

export const WEB_DIST = join(APP_ROOT, "web", "dist");

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

const COMPRESSIBLE = new Set([".html", ".js", ".mjs", ".css", ".json", ".svg", ".txt", ".map", ".webmanifest", ".ico"]);

interface Cached {
  mtimeMs: number;
  raw: Uint8Array;
  br: Uint8Array | null;
  gzip: Uint8Array | null;
}

/** The encodings the client accepts, by name (q=0 means refused). */
export function acceptedEncodings(header: string | undefined): Set<string> {
  const out = new Set<string>();
  for (const part of (header ?? "").split(",")) {
    const [name, ...params] = part.trim().toLowerCase().split(";");
    if (!name) continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    if (q && Number(q.slice(2)) === 0) continue;
    out.add(name);
  }
  return out;
}

const isApiPath = (p: string) => p === "/api" || p.startsWith("/api/") || p === "/metrics" || p === "/healthz" || p === "/readyz";

export function staticRoutes(root = WEB_DIST): Hono {
  const app = new Hono();
  const cache = new Map<string, Cached>();
  const load = async (file: string): Promise<Cached> => {
    const mtimeMs = statSync(file).mtimeMs;
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit;
    const raw = new Uint8Array(await readFile(file));
    const packable = COMPRESSIBLE.has(extname(file)) && raw.byteLength >= 1024;
    const entry: Cached = {
      mtimeMs,
      raw,
      br: packable ? new Uint8Array(brotliCompressSync(raw, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11 } })) : null,
      gzip: packable ? new Uint8Array(gzipSync(raw, { level: 9 })) : null,
    };
    cache.set(file, entry);
    return entry;
  };
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
    const cached = await load(file);
    const type = TYPES[extname(file)] ?? "application/octet-stream";
    const immutable = file.includes(`${sep}assets${sep}`);
    const headers: Record<string, string> = {
      "Content-Type": type,
      "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      "X-Content-Type-Options": "nosniff",
    };
    let body = cached.raw;
    if (cached.br || cached.gzip) {
      headers.Vary = "Accept-Encoding";
      const accepts = acceptedEncodings(c.req.header("accept-encoding"));
      if (cached.br && accepts.has("br")) {
        body = cached.br;
        headers["Content-Encoding"] = "br";
      } else if (cached.gzip && accepts.has("gzip")) {
        body = cached.gzip;
        headers["Content-Encoding"] = "gzip";
      }
    }
    return c.body(body as Uint8Array<ArrayBuffer>, 200, headers);
  });
  return app;
}
