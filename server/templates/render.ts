// `{{variable}}` templates: parsing, checking and filling. A variable is a-z 0-9 _; anything else
// between double braces is refused when the template is saved, so a typo never goes out as text.
import { RECIPIENT_VARIABLES, VARIABLE_PATTERN } from "../../shared/api/templates.ts";
import { ApiError } from "../errors.ts";

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

/** Every variable of `body`, in order of first use. Throws TEMPLATE_INVALID for a malformed placeholder. */
export function variablesOf(body: string): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    if (!VARIABLE_PATTERN.test(name)) {
      throw new ApiError("TEMPLATE_INVALID", `"${m[0]}" is not a variable: use {{name}}, {{display_name}}, {{handle}} or {{your_name}} (a-z, 0-9, _)`, { placeholder: m[0] });
    }
    if (!out.includes(name)) out.push(name);
  }
  return out;
}

export const recipientVariablesOf = (vars: readonly string[]): string[] => vars.filter((v) => (RECIPIENT_VARIABLES as readonly string[]).includes(v));

/**
 * Fills every placeholder. `recipient`: the values of the recipient variables (null: a broadcast,
 * whose one text goes to everyone — so a recipient variable is refused, see docs/templates.md).
 */
export function renderTemplate(body: string, custom: Record<string, string>, recipient: Record<(typeof RECIPIENT_VARIABLES)[number], string> | null): string {
  const vars = variablesOf(body);
  const perRecipient = recipientVariablesOf(vars);
  if (!recipient && perRecipient.length) {
    throw new ApiError(
      "TEMPLATE_RECIPIENT_VARIABLE",
      `This template uses ${perRecipient.map((v) => `{{${v}}}`).join(", ")}, which differ per recipient; a broadcast sends one confirmed text to everyone, so use it on Send (one teammate) or remove those variables`,
      { variables: perRecipient },
    );
  }
  const reserved = Object.keys(custom).filter((k) => (RECIPIENT_VARIABLES as readonly string[]).includes(k));
  if (reserved.length) throw new ApiError("VALIDATION_FAILED", `${reserved.map((v) => `{{${v}}}`).join(", ")} come from the recipient and cannot be given`, { variables: reserved });
  const values: Record<string, string> = { ...custom, ...(recipient ?? {}) };
  const missing = vars.filter((v) => values[v] === undefined);
  if (missing.length) throw new ApiError("TEMPLATE_VARIABLE_MISSING", `Give a value for ${missing.map((v) => `{{${v}}}`).join(", ")}`, { missing });
  return body.replace(PLACEHOLDER, (_all, name: string) => values[name] as string);
}
