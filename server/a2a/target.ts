// What a SendMessage asks for, read from the A2A request: the teammate (metadata `teammate`, a
// handle or a unique part of a name, or `skill`, a skill id of the Agent Card, on the message or
// on the request), or a broadcast (metadata `broadcast: true` or skill team-mesh:broadcast); the
// text (the message's text parts); the session (the contextId when it is a valid session name,
// else "main"); how long to wait (metadata `timeoutSec`).
import type { SendMessageRequest } from "@a2a-js/sdk";
import { DEFAULT_SESSION, TIMEOUT_SEC_DEFAULT, TIMEOUT_SEC_MAX } from "../../shared/limits.ts";
import { BROADCAST_SKILL } from "./card.ts";
import { invalidParams } from "./errors.ts";

const SESSION = /^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/;

export interface SendTarget {
  kind: "teammate" | "broadcast";
  /** The teammate (handle or name), for kind teammate. */
  to: string;
  text: string;
  session: string;
  timeoutSec: number;
  /** configuration.returnImmediately: answer with the task at once (SUBMITTED). */
  returnImmediately: boolean;
}

type Meta = Record<string, unknown> | undefined;

function pick(key: string, ...metas: Meta[]): unknown {
  for (const m of metas) if (m && m[key] !== undefined && m[key] !== null) return m[key];
  return undefined;
}

export function sendTargetOf(params: SendMessageRequest): SendTarget {
  const msg = params.message;
  if (!msg) throw invalidParams("SendMessage needs a message");
  if (msg.taskId) throw invalidParams("A Team Mesh task is one message and its reply: send a new message without taskId (the same contextId keeps the session)");
  const metas: Meta[] = [msg.metadata, params.metadata];
  const texts = msg.parts.flatMap((p) => (p.content?.$case === "text" ? [p.content.value] : []));
  if (texts.length !== msg.parts.length || texts.length === 0) throw invalidParams("Team Mesh sends text: the message needs text parts only");
  const text = texts.join("\n");

  const teammate = pick("teammate", ...metas);
  const skill = pick("skill", ...metas);
  const broadcast = pick("broadcast", ...metas) === true || skill === BROADCAST_SKILL;
  if (teammate !== undefined && typeof teammate !== "string") throw invalidParams("metadata.teammate must be a string (a handle or name)");
  if (skill !== undefined && typeof skill !== "string") throw invalidParams("metadata.skill must be a string (a skill id of the Agent Card)");
  const to = (teammate as string | undefined) ?? (broadcast ? undefined : (skill as string | undefined));
  if (broadcast && to) throw invalidParams("Name a teammate or ask for a broadcast, not both");
  if (!broadcast && !to?.trim()) throw invalidParams("Name the teammate: metadata { teammate: '<handle or name>' } (or skill: its skill id from the Agent Card)");

  const rawTimeout = pick("timeoutSec", ...metas);
  if (rawTimeout !== undefined && (typeof rawTimeout !== "number" || !Number.isInteger(rawTimeout) || rawTimeout < 1 || rawTimeout > TIMEOUT_SEC_MAX)) {
    throw invalidParams(`metadata.timeoutSec must be a whole number of seconds from 1 to ${TIMEOUT_SEC_MAX}`);
  }
  return {
    kind: broadcast ? "broadcast" : "teammate",
    to: to?.trim() ?? "",
    text,
    session: msg.contextId && SESSION.test(msg.contextId) ? msg.contextId : DEFAULT_SESSION,
    timeoutSec: (rawTimeout as number | undefined) ?? TIMEOUT_SEC_DEFAULT,
    returnImmediately: params.configuration?.returnImmediately === true,
  };
}
