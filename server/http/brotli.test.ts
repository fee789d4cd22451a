// Brotli for JSON answers and streamed exports when the client accepts br (also alone); small
// answers, clients that refuse br, and answers encoded already are left as they are.
import { Hono } from "hono";
import { compress } from "hono/compress";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { brotli, compressible } from "./brotli.ts";
import { jsonContentLength } from "./middleware.ts";

const big = { items: Array.from({ length: 800 }, (_, i) => ({ id: i, text: `entry number ${i}` })) };

function app() {
  const a = new Hono();
  a.use("*", compress({ threshold: 8 * 1024, contentTypeFilter: compressible }));
  a.use("*", brotli({ threshold: 8 * 1024 }));
  a.use("*", jsonContentLength());
  a.get("/big", (c) => c.json(big));
  a.get("/small", (c) => c.json({ ok: true }));
  a.get("/error", (c) => c.json({ error: { code: "NOT_FOUND", message: "x".repeat(9000) } }, 404));
  a.get("/export", () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `${JSON.stringify({ id: i })}\n`);
    const body = new ReadableStream<Uint8Array>({
      start(ctrl) {
        for (const l of lines) ctrl.enqueue(new TextEncoder().encode(l));
        ctrl.close();
      },
    });
    return new Response(body, { headers: { "Content-Type": "application/x-ndjson; charset=utf-8" } });
  });
  a.get("/encoded", () => new Response(new Uint8Array(10_000), { headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" } }));
  return a;
}

const bytes = async (r: Response) => Buffer.from(await r.arrayBuffer());

describe("brotli middleware", () => {
  it("a large JSON answer, Accept-Encoding: br alone → br, identical once decoded, smaller than a third", async () => {
    const r = await app().request("/big", { headers: { "accept-encoding": "br" } });
    expect(r.headers.get("content-encoding")).toBe("br");
    expect(r.headers.get("vary")).toMatch(/accept-encoding/i);
    const body = await bytes(r);
    expect(JSON.parse(brotliDecompressSync(body).toString())).toEqual(big);
    expect(body.length).toBeLessThan(JSON.stringify(big).length / 3);
  });

  it("a browser's header (gzip, deflate, br, zstd) gets br; a client refusing br gets gzip; none gets identity", async () => {
    const browser = await app().request("/big", { headers: { "accept-encoding": "gzip, deflate, br, zstd" } });
    expect(browser.headers.get("content-encoding")).toBe("br");
    const gz = await app().request("/big", { headers: { "accept-encoding": "gzip, br;q=0" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(JSON.parse(gunzipSync(await bytes(gz)).toString())).toEqual(big);
    const plain = await app().request("/big");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.json()).toEqual(big);
  });

  it("keeps the status of an error answer; leaves small answers and encoded ones alone", async () => {
    const err = await app().request("/error", { headers: { "accept-encoding": "br" } });
    expect(err.status).toBe(404);
    expect(JSON.parse(brotliDecompressSync(await bytes(err)).toString())).toMatchObject({ error: { code: "NOT_FOUND" } });
    const small = await app().request("/small", { headers: { "accept-encoding": "br" } });
    expect(small.headers.get("content-encoding")).toBeNull();
    expect(await small.json()).toEqual({ ok: true });
    const encoded = await app().request("/encoded", { headers: { "accept-encoding": "br" } });
    expect(encoded.headers.get("content-encoding")).toBe("gzip");
    expect((await bytes(encoded)).length).toBe(10_000);
  });

  it("a streamed NDJSON export (no length) is encoded as it streams: br, or gzip for a client without br", async () => {
    const r = await app().request("/export", { headers: { "accept-encoding": "br" } });
    expect(r.headers.get("content-encoding")).toBe("br");
    const lines = brotliDecompressSync(await bytes(r)).toString().trim().split("\n");
    expect(lines).toHaveLength(2000);
    expect(JSON.parse(lines[1999] as string)).toEqual({ id: 1999 });
    const gz = await app().request("/export", { headers: { "accept-encoding": "gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(await bytes(gz)).toString().trim().split("\n")).toHaveLength(2000);
  });
});
