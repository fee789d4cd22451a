// Failures of the local admin commands, mapped to exit codes by main.ts.

/** The command could not do its job (exit 1); the message tells the operator why. */
export class LocalError extends Error {}

/** The named user (or file) does not exist (exit 4). */
export class NotFoundLocalError extends LocalError {}
