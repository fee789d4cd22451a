// Who did something, as recorded on messages and broadcasts.
import type { Actor } from "../../shared/api/common.ts";
import type { Principal } from "../auth/types.ts";

export function actorOf(p: Principal): Actor {
  return { kind: p.kind, name: p.name, role: p.role };
}

/** Is this caller the one recorded as the actor (a user by name, or an API key by name)? */
export function isActor(recorded: Actor, p: Principal): boolean {
  return recorded.kind === p.kind && recorded.name === p.name;
}
