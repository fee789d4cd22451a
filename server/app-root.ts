// The application folder: the one holding package.json and migrations/ (and web/dist once
// built). Found by walking up from this file, so the same code works from the TypeScript
// sources (server/app-root.ts) and from the compiled build (build/server/app-root.js), which
// sits one folder deeper.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export function findAppRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "migrations"))) return dir;
    if (dirname(dir) === dir) throw new Error(`No Team Mesh folder (package.json and migrations/) at or above ${from}`);
  }
}

export const APP_ROOT: string = findAppRoot(dirname(fileURLToPath(import.meta.url)));
