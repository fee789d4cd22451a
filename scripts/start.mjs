// `npm start`: builds the web bundle when web/dist is missing or older than any source file in
// web/ or shared/, compiles the server the same way (build/, from server/ shared/ cli/), then
// runs it (node build/server/main.js) with the same environment,
// forwarding SIGINT/SIGTERM/SIGHUP and exiting with the server's exit code.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";

const SKIP = new Set(["dist", "node_modules", ".vite"]);

/** Newest modification time (ms) of any file under dir, skipping build output. */
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(e.name)) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) max = Math.max(max, newest(p));
    else if (e.isFile() && !/\.test\.tsx?$/.test(e.name)) max = Math.max(max, statSync(p).mtimeMs);
  }
  return max;
}

function oldestBuilt(dir) {
  let min = Infinity;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) min = Math.min(min, oldestBuilt(p));
    else if (e.isFile()) min = Math.min(min, statSync(p).mtimeMs);
  }
  return min;
}

/**
 * Runs `cmd` when `marker` is missing or any output under `out` is older than the newest source;
 * exits with the build's code when it fails. `clean`: empty `out` first (no output is left
 * behind by a removed source file).
 */
function buildIfStale({ marker, out, newestSource, missing, stale, cmd, failed, clean = false }) {
  if (existsSync(marker) && oldestBuilt(out) >= newestSource) return;
  console.log(existsSync(marker) ? stale : missing);
  if (clean) rmSync(out, { recursive: true, force: true });
  const r = spawnSync("npx", cmd, { stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    console.error(`${failed} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

buildIfStale({
  marker: "web/dist/index.html",
  out: "web/dist",
  newestSource: Math.max(newest("web"), newest("shared")),
  missing: "web/dist missing: building",
  stale: "web/dist is older than its sources: rebuilding",
  cmd: ["vite", "build", "--config", "web/vite.config.ts", "--logLevel", "warn"],
  failed: "web build",
});

// The server runs compiled (build/server/main.js, `npm run build:server`): run from the .ts
// sources, Node's type stripper stays loaded and costs ~30 MB of RSS for the server's lifetime.
const entry = "build/server/main.js";
buildIfStale({
  marker: entry,
  out: "build",
  newestSource: Math.max(newest("server"), newest("shared"), newest("cli"), statSync("tsconfig.json").mtimeMs, statSync("tsconfig.build.json").mtimeMs),
  missing: "build/ missing: compiling the server",
  stale: "build/ is older than the server's sources: recompiling",
  cmd: ["tsc", "-p", "tsconfig.build.json"],
  failed: "server build",
  clean: true,
});

const child = spawn(process.execPath, ["--enable-source-maps", entry, ...process.argv.slice(2)], { stdio: "inherit", env: process.env });
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
  });
}
child.on("error", (e) => {
  console.error(`cannot start the server: ${e.message}`);
  process.exit(1);
});
child.on("exit", (code, signal) => {
  if (signal) {
    // re-raise so our parent sees the same signal
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  } else process.exit(code ?? 1);
});
