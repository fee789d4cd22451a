// Admin commands that work on the data directory directly (no server, no API key).
import Database from "better-sqlite3";
import { drizzle, eq } from "../db/drizzle.ts";
import { sessions, users } from "../db/schema.ts";
import { ConfigError, loadConfig, type Config } from "../config.ts";
import { backupDatabase, isDatabaseInUse, restoreBackup } from "../ops/backup.ts";
import { hashPassword } from "../auth/passwords.ts";
import { vaultRotateCommand } from "./vault-rotate.ts";
import { Password } from "../../shared/api/auth.ts";
import { UsageError, type Command } from "../../cli/args.ts";
import { EXIT, type ExitCode } from "../../cli/exit-codes.ts";
import type { CliIO } from "../../cli/io.ts";
import { LocalError, NotFoundLocalError } from "../../cli/errors.ts";

type LocalCommand = Extract<Command, { dataDir: string | undefined }>;


export function localConfig(io: CliIO, dataDir: string | undefined): Config {
  const env = { ...io.env };
  if (dataDir !== undefined) env.MESH_DATA_DIR = dataDir;
  try {
    return loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(err.message);
    throw err;
  }
}

export async function runLocalCommand(cmd: LocalCommand, io: CliIO): Promise<ExitCode> {
  const config = localConfig(io, cmd.dataDir);
  const print = (human: string, machine: unknown) => io.stdout(cmd.json ? JSON.stringify(machine, null, 2) : human);
  switch (cmd.name) {
    case "backup": {
      const r = await backupDatabase({ dbFile: config.dbFile, dataDir: config.dataDir, vaultKey: config.vaultKey, out: cmd.out });
      print(`Backup written: ${r.file} (${r.bytes} bytes)\n\n${[...r.notice, ...r.warnings].join("\n")}`, r);
      // also on stderr: seen even when stdout goes to a file or a script reads --json
      for (const w of r.warnings) io.stderr(w);
      return EXIT.OK;
    }
    case "restore": {
      const r = restoreBackup(cmd.file, config.dbFile);
      print(
        [
          `Restored ${r.from} into ${r.restored} (${r.migrations} migrations recorded).`,
          r.previous ? `The database it replaced is kept as ${r.previous}.` : "",
          "Start the server with the vault key that was in use when the backup was made (it refuses a wrong key).",
        ]
          .filter(Boolean)
          .join("\n"),
        r,
      );
      return EXIT.OK;
    }
    case "vault-rotate": {
      if (isDatabaseInUse(config.dbFile)) throw new LocalError(`${config.dbFile} is in use: stop the server first, then rotate the vault key`);
      let newKey = cmd.newKey;
      if (newKey === "-") newKey = (await io.readStdin()).trim();
      if (config.vaultKey && !newKey) {
        throw new UsageError(
          "The vault key comes from MESH_VAULT_KEY: pass the new key, e.g. `openssl rand -base64 32 | team-mesh vault rotate --new-key -`",
          "vault-rotate",
        );
      }
      const r = vaultRotateCommand(config, newKey ? { newKeyBase64: newKey } : {});
      const { newKeyBase64: _never, ...shown } = r; // never printed: with --new-key it is null anyway
      print(
        [
          `Re-encrypted ${r.credentials} credential(s) and ${r.settings} sealed setting(s): key ${r.oldKeyId} → ${r.newKeyId}.`,
          r.keySource === "file"
            ? `The new key is in ${r.keyFile} (mode 0600). Back it up separately from the database backups; older backups still need the OLD key.`
            : "Now set MESH_VAULT_KEY to the new key before starting the server. Older backups still need the OLD key.",
        ].join("\n"),
        shown,
      );
      return EXIT.OK;
    }
    case "reset-password":
      return resetPassword(cmd, config, io);
  }
}

async function resetPassword(cmd: Extract<Command, { name: "reset-password" }>, config: Config, io: CliIO): Promise<ExitCode> {
  let password: string;
  if (cmd.passwordStdin) {
    password = (await io.readStdin()).replace(/\r?\n$/, "");
  } else if (io.isTTY) {
    password = await io.prompt(`New password for ${cmd.username}: `, { silent: true });
    const again = await io.prompt("Again: ", { silent: true });
    if (again !== password) throw new LocalError("The passwords differ; nothing changed");
  } else {
    throw new UsageError("No terminal to ask for the password: pipe it in with --password-stdin", "reset-password");
  }
  const ok = Password.safeParse(password);
  if (!ok.success) throw new UsageError(ok.error.issues.map((i) => i.message).join("; "), "reset-password");

  // not openDatabase(): that creates a missing file, and this command needs the existing one
  const sqlite = new Database(config.dbFile, { fileMustExist: true });
  try {
    sqlite.pragma("busy_timeout = 5000");
    const db = drizzle(sqlite);
    const username = cmd.username.trim().toLowerCase();
    const user = db.select({ id: users.id }).from(users).where(eq(users.username, username)).get();
    if (!user) throw new NotFoundLocalError(`No user ${JSON.stringify(username)}`);
    const hash = hashPassword(password);
    const signedOut = db.transaction((tx) => {
      tx.update(users).set({ passwordHash: hash }).where(eq(users.id, user.id)).run();
      return tx.delete(sessions).where(eq(sessions.userId, user.id)).run().changes;
    });
    io.stdout(cmd.json ? JSON.stringify({ username, sessionsRevoked: signedOut }) : `Password of ${username} changed; ${signedOut} session(s) signed out.`);
    return EXIT.OK;
  } finally {
    sqlite.close();
  }
}
