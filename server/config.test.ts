import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ConfigError, ConfigSchema, ENV_SPEC, loadConfig } from "./config.ts";

describe("configuration from MESH_ variables", () => {
  it("applies the documented defaults", () => {
    const c = loadConfig({});
    expect(c.host).toBe("127.0.0.1");
    expect(c.port).toBe(8790);
    expect(c.dataDir).toBe(resolve("./data"));
    expect(c.dbFile).toBe(resolve("./data/team-mesh.db"));
    expect(c.msgSoftLimit).toBe(4096);
    expect(c.msgHardLimit).toBe(8192);
    expect(c.vaultKey).toBeUndefined();
    expect(c.syncIntervalSec).toBeUndefined();
  });

  it("derives the own handle from MESH_MY_EMAIL", () => {
    expect(loadConfig({ MESH_MY_EMAIL: "Alice.B@example.com" }).myHandle).toBe("alice.b");
    expect(loadConfig({ MESH_MY_EMAIL: "bob" }).myHandle).toBe("bob");
  });

  it("names every bad variable in one clear error", () => {
    let err: unknown;
    try {
      loadConfig({ MESH_PORT: "http", MESH_LOG_LEVEL: "loud", MESH_VAULT_KEY: "c2hvcnQ=" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/MESH_PORT="http"/);
    expect(msg).toMatch(/MESH_LOG_LEVEL="loud"/);
    expect(msg).toMatch(/MESH_VAULT_KEY: must be base64 of exactly 32 bytes/);
    expect(msg).not.toContain("c2hvcnQ="); // a key value is never echoed back
  });

  it("checks MESH_FALLBACK_WEBHOOK_URL without ever echoing it (it usually carries a secret)", () => {
    for (const bad of ["not a url S3CRET", "ftp://hooks.example/S3CRET", "https://user:S3CRET@hooks.example/x"]) {
      let err: unknown;
      try {
        loadConfig({ MESH_FALLBACK_WEBHOOK_URL: bad });
      } catch (e) {
        err = e;
      }
      expect(err, bad).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(/MESH_FALLBACK_WEBHOOK_URL/);
      expect((err as Error).message).not.toContain("S3CRET");
    }
    expect(loadConfig({ MESH_FALLBACK_WEBHOOK_URL: "https://hooks.example/T0/B1?token=x" }).fallbackWebhookUrl).toBe("https://hooks.example/T0/B1?token=x");
  });

  it("refuses a soft limit above the hard limit", () => {
    expect(() => loadConfig({ MESH_MSG_SOFT_LIMIT: "9000", MESH_MSG_HARD_LIMIT: "8000" })).toThrow(/SOFT_LIMIT/);
  });

  it("refuses a sync interval below a minute", () => {
    expect(() => loadConfig({ MESH_SYNC_INTERVAL: "5" })).toThrow(/MESH_SYNC_INTERVAL/);
    expect(loadConfig({ MESH_SYNC_INTERVAL: "300" }).syncIntervalSec).toBe(300);
  });

  it("is documented variable by variable in the README", () => {
    const readme = readFileSync("README.md", "utf8");
    for (const name of Object.keys(ENV_SPEC)) expect(readme).toContain(`| \`${name}\` |`);
  });

  it("reports the limits' conflict next to other bad variables, and not when a limit is itself bad", () => {
    const both = () => loadConfig({ MESH_PORT: "http", MESH_MSG_SOFT_LIMIT: "9000", MESH_MSG_HARD_LIMIT: "8000" });
    expect(both).toThrow(/MESH_PORT="http"/);
    expect(both).toThrow(/MESH_MSG_SOFT_LIMIT \(9000\) must not exceed MESH_MSG_HARD_LIMIT \(8000\)/);
    let err: unknown;
    try {
      loadConfig({ MESH_MSG_SOFT_LIMIT: "9999999", MESH_MSG_HARD_LIMIT: "8000" });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/MESH_MSG_SOFT_LIMIT="9999999": Too big/);
    expect((err as Error).message).not.toMatch(/must not exceed/);
  });

  it("takes ENV_SPEC's defaults and meanings from the schema, and each default parses", () => {
    expect(ENV_SPEC.MESH_PORT[1]).toBe("8790");
    expect(ENV_SPEC.MESH_PORT[2]).toBe("HTTP port (0 picks a free one)");
    for (const [name, [schema, def, meaning]] of Object.entries(ENV_SPEC)) {
      expect(meaning, name).not.toBe("");
      expect(schema.safeParse(def).success, name).toBe(true);
    }
    expect(ConfigSchema.parse({})).toEqual(loadConfig({}));
  });
});
