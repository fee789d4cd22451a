// Brotli for API answers and exports. Hono's compress() speaks gzip and deflate only, so a
// client asking for `br` alone got identity. This middleware sits inside compress() and encodes
// with brotli whenever the client accepts it, as static.ts does for files (browsers send gzip
// and br; br is ~10 % smaller). compress() then sees Content-Encoding and leaves the answer
// alone; pre-compressed static files are skipped the same way.
import { Duplex } from "node:stream";
import { constants, createBrotliCompress } from "node:zlib";
import type { MiddlewareHandler } from "hono";
import { COMPRESSIBLE_CONTENT_TYPE_REGEX } from "hono/compress";
import { acceptedEncodings } from "./static.ts";

/** Hono's list of compressible types, plus NDJSON (the audit export), which it lacks. */
export const compressible = (type: string): boolean => COMPRESSIBLE_CONTENT_TYPE_REGEX.test(type) || /^\s*application\/(?:x-)?ndjson(?:[;\s]|$)/i.test(type);

export function brotli(opts: { threshold: number }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const res = c.res;
    const length = res.headers.get("Content-Length");
    const type = res.headers.get("Content-Type") ?? "";
    if (!res.body || c.req.method === "HEAD" || res.status === 206 || res.status === 204) return;
    if (res.headers.has("Content-Encoding") || (length !== null && Number(length) < opts.threshold)) return;
    if (!compressible(type) || /no-transform/i.test(res.headers.get("Cache-Control") ?? "")) return;
    if (!acceptedEncodings(c.req.header("Accept-Encoding")).has("br")) return;
    // quality 4: close to gzip's CPU cost, still smaller; the size hint helps whole answers
    const encoder = createBrotliCompress({
      params: { [constants.BROTLI_PARAM_QUALITY]: 4, ...(length !== null ? { [constants.BROTLI_PARAM_SIZE_HINT]: Number(length) } : {}) },
    });
    const { readable, writable } = Duplex.toWeb(encoder) as unknown as ReadableWritablePair<Uint8Array, Uint8Array>;
    const encoded = new Response(res.body.pipeThrough({ readable, writable }), res);
    encoded.headers.delete("Content-Length");
    encoded.headers.set("Content-Encoding", "br");
    const vary = encoded.headers.get("Vary");
    if (!vary || !/accept-encoding/i.test(vary)) encoded.headers.set("Vary", vary ? `${vary}, Accept-Encoding` : "Accept-Encoding");
    const etag = encoded.headers.get("ETag");
    if (etag && !etag.startsWith("W/")) encoded.headers.set("ETag", `W/${etag}`);
    c.res = undefined; // replace, do not merge headers
    c.res = encoded;
  };
}
