import { parseCommandLine, UsageError } from "./args.ts";
import { exitCodeForApiError, EXIT } from "./exit-codes.ts";

const usage = (argv: string[]) => {
  try {
    parseCommandLine(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as UsageError).message;
  }
  throw new Error(`expected a usage error for ${argv.join(" ")}`);
};

describe("parseCommandLine", () => {
  it("send: the old skill's flags, with defaults", () => {
    expect(parseCommandLine(["send", "--to", "alice", "--message", "hi"])).toEqual({
      name: "send",
      to: "alice",
      message: "hi",
      session: "main",
      rounds: 1,
      timeoutSec: 60,
      dryRun: false,
      wait: true,
      fallback: true,
      allowSecrets: false,
      json: false,
      url: undefined,
    });
    expect(
      parseCommandLine(["send", "--to=bob", "-m", "-", "--session", "proj:x", "--rounds", "3", "--timeout", "120", "--dry-run", "--no-wait", "--no-fallback", "--allow-secret", "--json", "--url", "http://h:1"]),
    ).toMatchObject({ to: "bob", message: "-", session: "proj:x", rounds: 3, timeoutSec: 120, dryRun: true, wait: false, fallback: false, allowSecrets: true, json: true, url: "http://h:1" });
  });

  it("send: missing or bad values are usage errors", () => {
    expect(usage(["send", "--message", "hi"])).toMatch(/needs --to/);
    expect(usage(["send", "--to", "a"])).toMatch(/needs --message/);
    expect(usage(["send", "--to", "a", "-m", "x", "--rounds", "11"])).toMatch(/--rounds must be between 1 and 10/);
    expect(usage(["send", "--to", "a", "-m", "x", "--rounds", "0"])).toMatch(/between 1 and 10/);
    expect(usage(["send", "--to", "a", "-m", "x", "--rounds", "2.5"])).toMatch(/whole number/);
    expect(usage(["send", "--to", "a", "-m", "x", "--timeout", "601"])).toMatch(/--timeout must be between 1 and 600/);
    expect(usage(["send", "--to", "a", "-m", "x", "--session", "bad session"])).toMatch(/--session/);
    expect(usage(["send", "--to", "a", "-m", "x", "--bogus"])).toMatch(/bogus/);
    expect(usage(["send", "--to"])).toMatch(/--to/);
    expect(usage(["send", "--to", "a", "-m", "x", "extra"])).toMatch(/unexpected argument "extra"/);
  });

  it("broadcast, ping, audit, import, status", () => {
    expect(parseCommandLine(["broadcast", "-m", "hello all", "--yes", "--timeout", "30"])).toMatchObject({
      name: "broadcast",
      message: "hello all",
      yes: true,
      dryRun: false,
      timeoutSec: 30,
    });
    expect(parseCommandLine(["broadcast", "-m", "x", "-y", "--dry-run"])).toMatchObject({ yes: true, dryRun: true });
    expect(usage(["broadcast"])).toMatch(/needs --message/);
    expect(parseCommandLine(["broadcast", "-m", "x", "--group", "@backend"])).toMatchObject({ group: "@backend" });
    expect(parseCommandLine(["broadcast", "-m", "x"])).toMatchObject({ group: undefined });
    expect(usage(["broadcast", "-m", "x", "--group"])).toMatch(/--group/);
    expect(parseCommandLine(["list", "--tag", "backend"])).toMatchObject({ name: "list", tag: "backend" });
    expect(usage(["list", "--tag"])).toMatch(/--tag/);
    expect(parseCommandLine(["ping"])).toMatchObject({ name: "ping", to: undefined });
    expect(parseCommandLine(["ping", "--to", "carol", "--timeout", "5"])).toMatchObject({ to: "carol", timeoutSec: 5 });
    expect(usage(["ping", "--timeout", "61"])).toMatch(/between 1 and 60/);
    expect(parseCommandLine(["audit"])).toMatchObject({ name: "audit", limit: 20, to: undefined });
    expect(parseCommandLine(["audit", "--to", "dave", "--limit", "500"])).toMatchObject({ to: "dave", limit: 500 });
    expect(usage(["audit", "--limit", "501"])).toMatch(/between 1 and 500/);
    expect(parseCommandLine(["import", "--registry", "r.json", "--tokens", "t.json"])).toMatchObject({ registry: "r.json", tokens: "t.json" });
    expect(usage(["import"])).toMatch(/needs --registry/);
    expect(parseCommandLine(["status", "msg_1"])).toMatchObject({ name: "status", id: "msg_1" });
    expect(usage(["status"])).toMatch(/needs an argument/);
  });

  it("local admin commands: backup, restore, vault rotate, admin reset-password", () => {
    expect(parseCommandLine(["backup"])).toEqual({ name: "backup", out: undefined, dataDir: undefined, json: false });
    expect(parseCommandLine(["backup", "--out", "/tmp/x.db", "--data-dir", "/d"])).toMatchObject({ out: "/tmp/x.db", dataDir: "/d" });
    expect(parseCommandLine(["restore", "b.db"])).toMatchObject({ name: "restore", file: "b.db" });
    expect(usage(["restore"])).toMatch(/needs an argument/);
    expect(parseCommandLine(["vault", "rotate", "--new-key", "-"])).toMatchObject({ name: "vault-rotate", newKey: "-" });
    expect(usage(["vault", "open"])).toMatch(/unknown vault command/);
    expect(usage(["vault-rotate"])).toMatch(/unknown command/);
    expect(parseCommandLine(["admin", "reset-password", "alice", "--password-stdin"])).toMatchObject({
      name: "reset-password",
      username: "alice",
      passwordStdin: true,
    });
    expect(usage(["admin", "delete-everything"])).toMatch(/unknown admin command/);
    // local commands do not take API flags
    expect(usage(["backup", "--url", "http://x"])).toMatch(/url/);
  });

  it("help and version", () => {
    expect(parseCommandLine([])).toEqual({ name: "help", topic: undefined });
    expect(parseCommandLine(["--help"])).toEqual({ name: "help", topic: undefined });
    expect(parseCommandLine(["help", "send"])).toEqual({ name: "help", topic: "send" });
    expect(parseCommandLine(["send", "--help"])).toEqual({ name: "help", topic: "send" });
    expect(parseCommandLine(["vault"])).toEqual({ name: "help", topic: "vault-rotate" });
    expect(parseCommandLine(["--version"])).toEqual({ name: "version" });
    expect(usage(["frobnicate"])).toMatch(/unknown command "frobnicate"/);
  });
});

describe("exitCodeForApiError", () => {
  it("maps stable error codes first, then HTTP statuses", () => {
    expect(exitCodeForApiError(401, "UNAUTHENTICATED")).toBe(EXIT.AUTH);
    expect(exitCodeForApiError(403, "FORBIDDEN")).toBe(EXIT.AUTH);
    expect(exitCodeForApiError(404, "TEAMMATE_NOT_FOUND")).toBe(EXIT.NOT_FOUND);
    expect(exitCodeForApiError(409, "AMBIGUOUS_TEAMMATE")).toBe(EXIT.NOT_FOUND);
    expect(exitCodeForApiError(413, "MESSAGE_TOO_LARGE")).toBe(EXIT.TOO_LARGE);
    expect(exitCodeForApiError(400, "VALIDATION_FAILED")).toBe(EXIT.USAGE);
    expect(exitCodeForApiError(503, "SHUTTING_DOWN")).toBe(EXIT.UNREACHABLE);
    expect(exitCodeForApiError(502, "GATEWAY_UNREACHABLE")).toBe(EXIT.FAILED);
    expect(exitCodeForApiError(409, "NO_CREDENTIALS")).toBe(EXIT.FAILED);
    expect(exitCodeForApiError(500, "INTERNAL")).toBe(EXIT.FAILED);
    // no error body (a proxy's page): by status
    expect(exitCodeForApiError(401, undefined)).toBe(EXIT.AUTH);
    expect(exitCodeForApiError(404, undefined)).toBe(EXIT.NOT_FOUND);
    expect(exitCodeForApiError(413, undefined)).toBe(EXIT.TOO_LARGE);
    expect(exitCodeForApiError(502, undefined)).toBe(EXIT.FAILED);
  });
});
