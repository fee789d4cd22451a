import { z } from "zod";
import { Actor, Iso } from "./common.ts";

import { VARIABLE_PATTERN } from "../template-variables.ts";

export { RECIPIENT_VARIABLES, VARIABLE_PATTERN } from "../template-variables.ts";

const Name = z.string().trim().min(1, "name: 1-100 characters").max(100, "name: 1-100 characters");
const Body = z.string().min(1, "body: 1-20000 characters").max(20_000, "body: 1-20000 characters");

export const Template = z.object({
  id: z.number().int(),
  name: Name,
  body: z.string(),
  /** Every `{{variable}}` in the body, in order of first use. */
  variables: z.array(z.string()),
  /** true: no recipient variable, so it can be a broadcast's text (one text for every recipient). */
  broadcastable: z.boolean(),
  createdBy: Actor,
  createdAt: Iso,
  updatedAt: Iso,
});
export type Template = z.infer<typeof Template>;

export const TemplateCreate = z.object({ name: Name, body: Body });
export type TemplateCreate = z.infer<typeof TemplateCreate>;
export const TemplateUpdate = TemplateCreate.partial();
export type TemplateUpdate = z.infer<typeof TemplateUpdate>;

export const TemplateRender = z.object({
  /** The recipient (handle or name) for Send; omit for a broadcast (then no recipient variable may be used). */
  to: z.string().min(1).max(200).optional(),
  /** Values of the custom variables. */
  vars: z.record(z.string().regex(VARIABLE_PATTERN, "variable names: a-z 0-9 _"), z.string().max(20_000)).default({}),
});
export type TemplateRender = z.input<typeof TemplateRender>;

export const TemplateRendered = z.object({
  message: z.string(),
  templateId: z.number().int(),
  /** The recipient the variables were filled from (null: a broadcast's text). */
  to: z.string().nullable(),
});
export type TemplateRendered = z.infer<typeof TemplateRendered>;
