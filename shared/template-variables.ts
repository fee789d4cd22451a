// Template variable names (zod-free, so the web bundle can import it; shared/api/templates.ts has the schemas).

/** Variables filled from the recipient: only for a message to one teammate (Send). */
export const RECIPIENT_VARIABLES = ["name", "display_name", "handle"] as const;
export const VARIABLE_PATTERN = /^[a-z_][a-z0-9_]{0,31}$/;
