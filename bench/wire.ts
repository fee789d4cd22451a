// Bytes over the wire: the dashboard's JS bundle and a large JSON answer (/api/v1/openapi.json)
// fetched from the real server (`node server/main.ts`, child process) over raw node:http (no
// decoding), with Accept-Encoding none, gzip and br. Builds web/dist first if it is missing
// (`npx vite build --config web/vite.config.ts`).
// Target (issue 9): dashboard and API answers compressed. Baseline: the identity (uncompressed) size.
// The third Accept-Encoding is what browsers send (any compression counts).
// Usage: node --expose-gc bench/wire.ts
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { startTestServer, REPO_ROOT } from "../test/support/server.ts";
import { report, round } from "./lib.ts";

const B = "wire";
if (!existsSync(join(REPO_ROOT, "web/dist/index.html"))) {
  const r = spawnSync("npx", ["vite", "build", "--config", "web/vite.config.ts"], { cwd: REPO_ROOT, stdio: ["ignore", "ignore", "inherit"] });
  if (r.status !== 0) throw new Error("vite build failed");
}

function get(url: string, headers: Record<string, string>): Promise<{ status: number; bytes: number; encoding: string; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, bytes: body.length, encoding: String(res.headers["content-encoding"] ?? "identity"), body });
      });
    });
    req.on("error", reject);
    req.end();
  });
}

const srv = await startTestServer({ child: true });
try {
  const key = await srv.adminKey();
  const index = await get(`${srv.url}/`, {});
  const script = /<script[^>]+src="([^"]+\.js)"/.exec(index.body.toString("utf8"))?.[1];
  if (!script) throw new Error(`no script in index.html: ${index.body.toString("utf8").slice(0, 300)}`);
  const targets = [
    { what: `JS bundle ${script}`, url: `${srv.url}${script}`, headers: {} as Record<string, string> },
    { what: "JSON answer /api/v1/openapi.json", url: `${srv.url}/api/v1/openapi.json`, headers: { authorization: `Bearer ${key}` } },
  ];
  for (const t of targets) {
    const plain = await get(t.url, { ...t.headers });
    if (plain.status !== 200) throw new Error(`${t.url}: ${plain.status}`);
    for (const enc of ["br", "gzip", "gzip, deflate, br, zstd"]) {
      const r = await get(t.url, { ...t.headers, "accept-encoding": enc });
      const expected = enc.includes(",") ? r.encoding !== "identity" : r.encoding === enc;
      report({
        bench: B,
        figure: `${t.what}, Accept-Encoding: ${enc}`,
        value: r.bytes,
        unit: "bytes (body over the wire)",
        target: "compressed",
        pass: r.status === 200 && expected && r.bytes < plain.bytes,
        baseline: plain.bytes,
        baselineNote: "no Accept-Encoding (identity)",
        contentEncoding: r.encoding,
        ratio: round(r.bytes / plain.bytes, 3),
      });
    }
  }
} finally {
  await srv.stop();
}
