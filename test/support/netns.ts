// Two network namespaces joined by a veth pair, so a client can reach a gateway from a
// NON-loopback address on one machine (what OpenClaw's device pairing needs). Root + `ip` only.
//
//   const pair = await createNetnsPair();
//   pair.gatewayNs / pair.clientNs / pair.gatewayIp / pair.clientIp
//   pair.spawnIn(pair.clientNs, node, [script, ...])   // child process inside a namespace
//   await pair.cleanup();                               // deletes both namespaces (and the veth)
//
// Traffic stays inside the pair: the namespaces have no route to anything else.
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";
import { randomBytes } from "node:crypto";

export function netnsSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: "network namespaces need Linux" };
  if (typeof process.getuid === "function" && process.getuid() !== 0) return { ok: false, reason: "network namespaces need root (run the interop tests as root, as CI does)" };
  const r = spawnSync("ip", ["netns", "list"], { stdio: "ignore" });
  if (r.error || r.status !== 0) return { ok: false, reason: "the `ip` tool (iproute2) is missing or cannot manage network namespaces" };
  return { ok: true };
}

function ip(args: string[]): void {
  const r = spawnSync("ip", args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`ip ${args.join(" ")} failed: ${r.stderr || r.error?.message}`);
}

export interface NetnsPair {
  gatewayNs: string;
  clientNs: string;
  gatewayIp: string;
  clientIp: string;
  spawnIn(ns: string, cmd: string, args: string[], opts?: SpawnOptions): ChildProcess;
  cleanup(): Promise<void>;
}

export async function createNetnsPair(): Promise<NetnsPair> {
  const support = netnsSupport();
  if (!support.ok) throw new Error(support.reason);
  const tag = randomBytes(3).toString("hex");
  const gatewayNs = `tm-gw-${tag}`;
  const clientNs = `tm-cl-${tag}`;
  const vethGw = `tmg${tag}`; // interface names are limited to 15 chars
  const vethCl = `tmc${tag}`;
  // a /30 in 10.231.0.0/16 that only exists inside this pair
  const octet = 1 + (parseInt(tag.slice(0, 2), 16) % 250);
  const gatewayIp = `10.231.${octet}.1`;
  const clientIp = `10.231.${octet}.2`;
  const created: string[] = [];
  const cleanup = async () => {
    for (const ns of created.reverse()) spawnSync("ip", ["netns", "del", ns], { stdio: "ignore" });
    created.length = 0;
  };
  try {
    ip(["netns", "add", gatewayNs]);
    created.push(gatewayNs);
    ip(["netns", "add", clientNs]);
    created.push(clientNs);
    ip(["link", "add", vethGw, "type", "veth", "peer", "name", vethCl]);
    ip(["link", "set", vethGw, "netns", gatewayNs]);
    ip(["link", "set", vethCl, "netns", clientNs]);
    ip(["-n", gatewayNs, "addr", "add", `${gatewayIp}/30`, "dev", vethGw]);
    ip(["-n", clientNs, "addr", "add", `${clientIp}/30`, "dev", vethCl]);
    for (const [ns, dev] of [
      [gatewayNs, vethGw],
      [clientNs, vethCl],
    ] as const) {
      ip(["-n", ns, "link", "set", dev, "up"]);
      ip(["-n", ns, "link", "set", "lo", "up"]);
    }
  } catch (err) {
    spawnSync("ip", ["link", "del", vethGw], { stdio: "ignore" });
    await cleanup();
    throw err;
  }
  return {
    gatewayNs,
    clientNs,
    gatewayIp,
    clientIp,
    spawnIn: (ns, cmd, args, opts = {}) => spawn("ip", ["netns", "exec", ns, cmd, ...args], opts),
    cleanup,
  };
}

/** Runs a command inside a namespace and collects its output. */
export function runIn(pair: NetnsPair, ns: string, cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = pair.spawnIn(ns, cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Starts the fake model server inside a namespace; its baseUrl is valid inside that namespace. */
export async function startModelServerIn(pair: NetnsPair, ns: string, node: string, script: string): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const child = pair.spawnIn(ns, node, [script], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = "";
    const t = setTimeout(() => reject(new Error("fake model server did not start in the namespace")), 20_000);
    child.stdout?.on("data", (d: Buffer) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(t);
        resolve(buf.slice(0, nl));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`fake model server exited (${code})`));
    });
  });
  const { baseUrl } = JSON.parse(line) as { baseUrl: string };
  return {
    baseUrl,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 3000).unref();
      }),
  };
}
