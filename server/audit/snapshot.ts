// One consistent view of the trail for a long read (verify, export): a read-only connection of its
// own inside a read transaction. SQLite's WAL keeps that snapshot while the server goes on writing
// on its main connection; a long reader holds back checkpoints until `end()`.
import Database from "better-sqlite3";
import { writeBatchOf } from "../db/write-batch.ts";

export interface Snapshot {
  db: Database.Database;
  end(): void;
}

export function openSnapshot(main: Database.Database): Snapshot {
  writeBatchOf(main).flush(); // the snapshot holds everything written so far
  if (main.memory) return { db: main, end: () => undefined }; // no second connection to a memory db
  const db = new Database(main.name, { readonly: true, fileMustExist: true });
  db.pragma("busy_timeout = 5000");
  db.exec("begin"); // deferred: the snapshot is taken by the first read
  return {
    db,
    end() {
      try {
        if (db.inTransaction) db.exec("commit");
      } finally {
        db.close();
      }
    },
  };
}
