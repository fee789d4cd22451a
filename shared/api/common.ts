import { z } from "zod";
import { ERROR_STATUS, type ErrorCode } from "../errors.ts";
import { ROLES } from "./enums.ts";

export const Iso = z.iso.datetime({ offset: true });
export const Handle = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "handle: 1-64 of a-z 0-9 . _ -, starting with a letter or digit");

export const ErrorBody = z.object({
  error: z.object({
    code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export const Warning = z.object({ code: z.string(), message: z.string() });
export type Warning = z.infer<typeof Warning>;

export const Role = z.enum(ROLES);
export type Role = z.infer<typeof Role>;

/** Who did something: a signed-in user or an API key. */
export const Actor = z.object({
  kind: z.enum(["user", "api_key", "system"]),
  name: z.string(),
  role: Role.nullable(),
});
export type Actor = z.infer<typeof Actor>;

export const Page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });
