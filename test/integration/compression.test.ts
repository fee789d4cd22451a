// Answers are compressed when the client accepts it: the dashboard's files (brotli or gzip,
// compressed once and kept), JSON answers over 8 KiB (brotli/gzip/deflate); never for a client that
// does not ask, and never for tiny files or small answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import { acceptedEncodings, staticRoutes } from "../../server/http/static.ts";
import { startTestServer, type TestServer } from "../support/server.ts";

/** GET with raw bytes (fetch would decode the body for us and hide what came over the wire). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("compression", () => {
  let dir: string;
  const js = `export const words = ${JSON.stringify(Array.from({ length: 2000 }, (_, i) => `word-${i}`))};\n`;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "mesh-static-"));
    mkdirSync(join(dir, "assets"));
    writeFileSync(join(dir, "index.html"), `<!doctype html><title>Team Mesh</title>${"<p>hello</p>".repeat(300)}`);
    writeFileSync(join(dir, "assets", "app-1.js"), js);
    writeFileSync(join(dir, "assets", "tiny.js"), "export {};\n");
    writeFileSync(join(dir, "assets", "logo.png"), Buffer.alloc(4096, 1));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("parses Accept-Encoding, q=0 meaning refused", () => {
    expect([...acceptedEncodings("gzip, deflate, br;q=0.5")]).toEqual(["gzip", "deflate", "br"]);
    expect([...acceptedEncodings("br;q=0, gzip")]).toEqual(["gzip"]);
    expect([...acceptedEncodings(undefined)]).toEqual([]);
  });

  it("serves the dashboard's files brotli or gzip as accepted, identical once decoded", async () => {
    const app = staticRoutes(dir);
    const br = await app.request("/assets/app-1.js", { headers: { "accept-encoding": "gzip, deflate, br" } });
    expect(br.headers.get("content-encoding")).toBe("br");
    expect(br.headers.get("vary")).toBe("Accept-Encoding");
    const brBytes = Buffer.from(await br.arrayBuffer());
    expect(brBytes.length).toBeLessThan(js.length / 3);
    expect(brotliDecompressSync(brBytes).toString()).toBe(js);

    const gz = await app.request("/assets/app-1.js", { headers: { "accept-encoding": "br;q=0, gzip" } });
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gz.arrayBuffer())).toString()).toBe(js);

    const plain = await app.request("/assets/app-1.js");
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(js);

    // an SPA route answers index.html, compressed too
    const page = await app.request("/team", { headers: { "accept-encoding": "gzip" } });
    expect(page.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await page.arrayBuffer())).toString()).toContain("<title>Team Mesh</title>");
  });

  it("leaves tiny files and images as they are", async () => {
    const app = staticRoutes(dir);
    for (const path of ["/assets/tiny.js", "/assets/logo.png"]) {
      const r = await app.request(path, { headers: { "accept-encoding": "br, gzip" } });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-encoding"), path).toBeNull();
    }
  });

  describe("JSON from the real server", () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer();
    });
    afterAll(async () => srv?.stop());

    it("gzips a large JSON answer for a client that accepts it, and not for one that does not", async () => {
      const zipped = await rawGet(`${srv.url}/api/v1/openapi.json`, { "accept-encoding": "gzip" });
      expect(zipped.status).toBe(200);
      expect(zipped.headers["content-encoding"]).toBe("gzip");
      const doc = JSON.parse(gunzipSync(zipped.body).toString()) as { openapi: string };
      expect(doc.openapi).toMatch(/^3\./);

      const plain = await rawGet(`${srv.url}/api/v1/openapi.json`, {});
      expect(plain.headers["content-encoding"]).toBeUndefined();
      expect((JSON.parse(plain.body.toString()) as { openapi: string }).openapi).toBe(doc.openapi);
      expect(zipped.body.length).toBeLessThan(plain.body.length / 3);
    });

    it("a client that accepts only br gets a large JSON answer in brotli", async () => {
      const br = await rawGet(`${srv.url}/api/v1/openapi.json`, { "accept-encoding": "br" });
      expect(br.status).toBe(200);
      expect(br.headers["content-encoding"]).toBe("br");
      const doc = JSON.parse(brotliDecompressSync(br.body).toString()) as { openapi: string };
      expect(doc.openapi).toMatch(/^3\./);
    });

    it("a small JSON answer (under 8 KiB) is sent as it is", async () => {
      const r = await rawGet(`${srv.url}/healthz`, { "accept-encoding": "gzip" });
      expect(r.status).toBe(200);
      expect(r.headers["content-encoding"]).toBeUndefined();
      expect(JSON.parse(r.body.toString())).toMatchObject({ ok: true });
    });

    it("errors stay in the envelope when compressed", async () => {
      const r = await rawGet(`${srv.url}/api/v1/teammates`, { "accept-encoding": "gzip" });
      expect(r.status).toBe(401);
      const text = r.headers["content-encoding"] === "gzip" ? gunzipSync(r.body).toString() : r.body.toString();
      expect(JSON.parse(text)).toMatchObject({ error: { code: "UNAUTHENTICATED" } });
    });
  });
});
