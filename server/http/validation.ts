// The zod-openapi default hook: a request that fails its schema becomes
// 400 VALIDATION_FAILED with the issues in details. Set on the root app, so every router
// mounted under it (ours and the other teams') inherits it.
import type { z } from "zod";
import { ApiError } from "../errors.ts";
import { issuesText } from "../../shared/issue-text.ts";

export interface Issue {
  path: string;
  message: string;
  code: string;
}

export function issuesOf(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message, code: i.code }));
}

export function validationHook(result: { success: boolean; error?: unknown; target?: string }): void {
  if (result.success) return;
  const err = result.error as z.ZodError | undefined;
  const issues = err && Array.isArray(err.issues) ? issuesOf(err) : [];
  // the message says what is wrong in words; the issues stay in details, one per field
  throw new ApiError("VALIDATION_FAILED", issuesText(issues, `Invalid request${result.target ? ` ${result.target}` : ""}`), {
    target: result.target,
    issues,
  });
}

/** Builds a response body through its output schema (unknown keys are stripped). */
export function out<S extends z.ZodType>(schema: S, value: z.input<S>): z.output<S> {
  return schema.parse(value);
}
