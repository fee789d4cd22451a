import type { AgentsAdd, ImportReport, ImportRequest, SyncReport, Teammate, TeammateCreate, TeammateUpdate } from "../../shared/api/teammates.ts";
import type { teammates } from "../db/schema.ts";
import type { ProbeResult } from "../gateway/index.ts";

/** A teammate as the server works with it: its `teammates` row (the API shape comes from `toApi`). */
export type TeammateRecord = typeof teammates.$inferSelect;

export interface Registry {
  list(): TeammateRecord[];
  byHandle(handle: string): TeammateRecord | null;
  /** One teammate by id, as it is now (a primary-key lookup: fan-out calls it per recipient). */
  byId(id: number): TeammateRecord | null;
  /** Exact handle (case-insensitive), else a unique substring of name / display name.
   *  Throws ApiError TEAMMATE_NOT_FOUND or AMBIGUOUS_TEAMMATE (details.candidates). */
  resolve(to: string): TeammateRecord;
  create(input: TeammateCreate, actor: string): TeammateRecord;
  update(handle: string, patch: TeammateUpdate, actor: string): TeammateRecord;
  remove(handle: string, actor: string): void;
  setToken(handle: string, token: string, actor: string): TeammateRecord;
  removeToken(handle: string, actor: string): void;
  hasToken(teammateId: number): boolean;
  /** This dashboard's own agent (MESH_MY_EMAIL, else the stored setting). */
  me(): { handle: string; source: "env" | "setting" } | null;
  setMe(handle: string | null, actor: string): void;
  /** Stores a probe's outcome as the teammate's status (and history); returns the API status. */
  recordProbe(teammateId: number, result: ProbeResult): Teammate["status"];
  /** A gateway event (tick, health, presence) on an open connection: an online status is current again (null: not online, nothing changed). */
  noteAlive(teammateId: number): Teammate["status"] | null;
  toApi(record: TeammateRecord): Teammate;
  importLegacy(input: ImportRequest, actor: string): ImportReport;
  sync(actor: string): Promise<SyncReport>;
  /** New entries for other agents of `handle`'s gateway, sharing its address and credentials. */
  addAgents(handle: string, input: AgentsAdd, actor: string): TeammateRecord[];
}

export interface MeshRegistry extends Registry {
  history(teammateId: number, limit?: number): { at: string; state: string; latencyMs: number | null; errorCode: string | null }[];
  /** Bulk toApi for list pages (one query for every credential). */
  toApiMany(records: TeammateRecord[]): Teammate[];
}
