// `npm run bench`: runs every benchmark and appends its JSON line to bench/results.ndjson
// with the machine and the command, so RESULTS.md can cite measured figures.
import { spawnSync } from "node:child_process";
import { appendFileSync } from "node:fs";
import os from "node:os";

const benches = [
  ["bench/audit.ts", ["100000"]],
  ["bench/broadcast.ts", ["100", "500"]],
];
const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? "cpu"}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, node ${process.version}`;
let failed = false;
for (const [file, args] of benches) {
  const cmd = ["--expose-gc", file, ...args];
  console.log(`$ node ${cmd.join(" ")}`);
  const r = spawnSync(process.execPath, cmd, { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  process.stdout.write(r.stdout);
  if (r.status !== 0) failed = true;
  for (const line of r.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const rec = { at: new Date().toISOString(), machine, command: `node ${cmd.join(" ")}`, ...JSON.parse(line) };
    appendFileSync("bench/results.ndjson", JSON.stringify(rec) + "\n");
  }
}
process.exit(failed ? 1 : 0);
