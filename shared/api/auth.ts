import { z } from "zod";
import { Actor, Iso, Role } from "./common.ts";
import { PASSWORD_MIN } from "./enums.ts";

export const Username = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, "Username must be 2-64 characters of a-z 0-9 . _ - starting with a letter or digit");
export { PASSWORD_MIN };
export const Password = z.string().min(PASSWORD_MIN, `Password must be at least ${PASSWORD_MIN} characters`).max(1024, "Password must be at most 1024 characters");

export const LoginRequest = z.object({ username: z.string().min(1), password: z.string().min(1) });
export const SetupRequest = z.object({
  /** The one-time code printed on the server console at first start. */
  setupCode: z.string().min(1),
  username: Username,
  password: Password,
});
export const SetupState = z.object({ setupRequired: z.boolean() });

/** The caller as the server sees it. */
export const Me = Actor.extend({
  role: Role,
  /** Users only: true while they must replace an admin-handed one-time password (POST /auth/password) before anything else. */
  mustChangePassword: z.boolean().optional(),
});
export type Me = z.infer<typeof Me>;

export const User = z.object({
  username: z.string(),
  role: Role,
  createdAt: Iso,
  disabled: z.boolean(),
  /** Still signing in with an admin-handed one-time password: must choose their own at next sign-in. */
  mustChangePassword: z.boolean(),
});
export type User = z.infer<typeof User>;
/** Without a password the server generates one and returns it once (UserCreated.oneTimePassword). */
export const UserCreate = z.object({
  username: Username,
  password: Password.optional(),
  role: Role,
  /** Must the user choose their own password at first sign-in? Default: yes for a generated password, no for a given one. */
  mustChangePassword: z.boolean().optional(),
});
export const UserCreated = User.extend({ oneTimePassword: z.string().optional(), mustChangePassword: z.boolean() });
/** POST /users/{username}/reset-password: the new password, shown this once. */
export const PasswordReset = z.object({ username: z.string(), oneTimePassword: z.string(), sessionsEnded: z.number().int() });
/** POST /auth/password: the signed-in user replaces their password (the new one must differ). */
export const PasswordChange = z.object({ currentPassword: z.string().min(1).max(1024), newPassword: Password });
export const UserUpdate = z.object({ password: Password.optional(), role: Role.optional(), disabled: z.boolean().optional() });

export const ApiKey = z.object({
  id: z.string(),
  name: z.string(),
  role: Role,
  /** The first characters of the key, enough to recognise it, useless to use it. */
  prefix: z.string(),
  createdBy: z.string(),
  /** The user the key acts for (its creator, or the creating key's owner); disabling or deleting them revokes it. */
  owner: z.string().nullable(),
  createdAt: Iso,
  lastUsedAt: Iso.nullable(),
  expiresAt: Iso.nullable(),
  revokedAt: Iso.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;
export const ApiKeyCreate = z.object({
  name: z.string().trim().min(1).max(100),
  role: Role,
  expiresAt: Iso.nullish(),
});
/** The create response: the only time the key itself is shown. */
export const ApiKeyCreated = ApiKey.extend({ key: z.string() });
