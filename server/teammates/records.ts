// Rows of the teammate tables as SQLite returns them, and the record the server works with.
import { approveCommand } from "../../shared/pairing.ts";
import type { TeammateRecord } from "./types.ts";

export interface Row {
  id: number;
  handle: string;
  name: string;
  display_name: string | null;
  note: string | null;
  gateway_url: string | null;
  hostname: string | null;
  tls_fingerprint: string | null;
  created_at: number;
  updated_at: number;
}

export interface StatusRow {
  state: string;
  checked_at: number | null;
  last_seen_at: number | null;
  latency_ms: number | null;
  version: string | null;
  scopes: string | null;
  error_code: string | null;
  error_message: string | null;
  pairing_request_id: string | null;
}

export function toRecord(r: Row): TeammateRecord {
  return {
    id: r.id,
    handle: r.handle,
    name: r.name,
    displayName: r.display_name,
    note: r.note,
    gatewayUrl: r.gateway_url,
    hostname: r.hostname,
    tlsFingerprint: r.tls_fingerprint,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** A stored pairing request id becomes a command only in OpenClaw's format (rows from before the check included). */
export function pairingOf(requestId: string): { requestId: string; approveCommand: string } | null {
  const command = approveCommand(requestId);
  return command ? { requestId, approveCommand: command } : null;
}
