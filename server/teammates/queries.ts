// Every statement the registry runs, prepared once per database.
import type Database from "better-sqlite3";

export const STATUS_HISTORY_KEEP = 200;

export function prepareQueries(sql: Database.Database) {
  return {
    all: sql.prepare("select * from teammates order by handle"),
    byHandle: sql.prepare("select * from teammates where handle = ?"),
    byId: sql.prepare("select * from teammates where id = ?"),
    insert: sql.prepare(
      `insert into teammates(handle, name, display_name, note, gateway_url, hostname, tls_fingerprint, created_at, updated_at)
       values (@handle, @name, @display_name, @note, @gateway_url, @hostname, @tls_fingerprint, @created_at, @updated_at)`,
    ),
    update: sql.prepare(
      `update teammates set name = @name, display_name = @display_name, note = @note, gateway_url = @gateway_url,
        hostname = @hostname, tls_fingerprint = @tls_fingerprint, updated_at = @updated_at where id = @id`,
    ),
    remove: sql.prepare("delete from teammates where id = ?"),
    status: sql.prepare("select * from teammate_status where teammate_id = ?"),
    statuses: sql.prepare("select * from teammate_status"),
    clearStatus: sql.prepare("delete from teammate_status where teammate_id = ?"),
    upsertStatus: sql.prepare(
      `insert into teammate_status(teammate_id, state, checked_at, last_seen_at, latency_ms, version, scopes, error_code, error_message, pairing_request_id)
       values (@teammate_id, @state, @checked_at, @last_seen_at, @latency_ms, @version, @scopes, @error_code, @error_message, @pairing_request_id)
       on conflict(teammate_id) do update set state = excluded.state, checked_at = excluded.checked_at, last_seen_at = excluded.last_seen_at,
         latency_ms = excluded.latency_ms, version = excluded.version, scopes = excluded.scopes, error_code = excluded.error_code,
         error_message = excluded.error_message, pairing_request_id = excluded.pairing_request_id`,
    ),
    addHistory: sql.prepare("insert into status_history(teammate_id, at, state, latency_ms, error_code) values (?, ?, ?, ?, ?)"),
    pruneHistory: sql.prepare(
      `delete from status_history where teammate_id = ? and id not in
        (select id from status_history where teammate_id = ? order by id desc limit ${STATUS_HISTORY_KEEP})`,
    ),
    history: sql.prepare("select at, state, latency_ms, error_code from status_history where teammate_id = ? order by id desc limit ?"),
    getSetting: sql.prepare("select value from settings where key = ?"),
    setSetting: sql.prepare(
      "insert into settings(key, value, updated_at) values (?, ?, ?) on conflict(key) do update set value = excluded.value, updated_at = excluded.updated_at",
    ),
    deleteSetting: sql.prepare("delete from settings where key = ?"),
  };
}

export type Queries = ReturnType<typeof prepareQueries>;
