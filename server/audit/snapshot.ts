// One consistent view of the trail for a long read (verify, export): a read-only connection of its
// own inside a read transaction. SQLite's WAL keeps that snapshot while the server goes on writing
// on its main connection; a long reader holds back checkpoints until `end()`.
import Database from "better-sqlite3";
import type { Db } from "../db/connection.ts";
import { drizzle } from "../db/drizzle.ts";
import * as schema from "../db/schema.ts";
import { writeBatchOf } from "../db/write-batch.ts";

export interface Snapshot {
  /** drizzle over the snapshot's connection (`db.$client`). */
  db: Db;
  end(): void;
}

export function openSnapshot(main: Db): Snapshot {
  writeBatchOf(main.$client).flush(); // the snapshot holds everything written so far
  if (main.$client.memory) return { db: main, end: () => undefined }; // no second connection to a memory db
  const client = new Database(main.$client.name, { readonly: true, fileMustExist: true });
  client.pragma("busy_timeout = 5000");
  client.exec("begin"); // deferred: the snapshot is taken by the first read
  return {
    db: drizzle(client, { schema }) as Db,
    end() {
      try {
        if (client.inTransaction) client.exec("commit");
      } finally {
        client.close();
      }
    },
  };
}
