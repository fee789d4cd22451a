// Errors of the A2A endpoint as JSON-RPC errors: A2A's own where one fits (task not found, not
// cancelable, unsupported), else the Team Mesh code in the message, with a JSON-RPC code by kind:
// -32602 for a request Team Mesh refuses (unknown teammate, too large, ...), -32000 for a
// permission the key's role lacks, -32603 for the server's own failure.
import { JsonRpcTransportError, TaskNotFoundError } from "@a2a-js/sdk/errors";
import { ApiError } from "../errors.ts";

export const FORBIDDEN_CODE = -32000;
export const INVALID_PARAMS_CODE = -32602;
export const INTERNAL_CODE = -32603;

export function rpcError(code: number, message: string): JsonRpcTransportError {
  return new JsonRpcTransportError({ jsonrpc: "2.0", id: null, error: { code, message } });
}

export const invalidParams = (message: string) => rpcError(INVALID_PARAMS_CODE, message);

/** An error thrown by the services, as the JSON-RPC error the client gets. */
export function toRpcError(err: unknown): unknown {
  if (!(err instanceof ApiError)) return err; // A2A errors as they are; anything else is -32603
  if (err.code === "MESSAGE_NOT_FOUND" || err.code === "BROADCAST_NOT_FOUND") return new TaskNotFoundError(err.message);
  const message = `${err.message} [${err.code}]`;
  if (err.status === 401 || err.status === 403) return rpcError(FORBIDDEN_CODE, message);
  if (err.status < 500) return rpcError(INVALID_PARAMS_CODE, message);
  return rpcError(INTERNAL_CODE, message);
}

/** The code an audit entry records for a failed call: the Team Mesh code, else the A2A error's name. */
export function auditCodeOf(err: unknown): string {
  if (err instanceof ApiError) return err.code;
  if (err instanceof Error) return err.name.slice(0, 64);
  return "ERROR";
}
