import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

const DRIZZLE = {
  group: ["drizzle-orm", "drizzle-orm/*"],
  allowTypeImports: true,
  message: "import drizzle's values from server/db/drizzle.ts (it loads the CommonJS build; see there why)",
};

export default tseslint.config(
  // skill/team-mesh/team-mesh.mjs is generated (scripts/build-skill.mjs) from linted sources.
  { ignores: ["node_modules/", "web/dist/", "build/", "data/", "test-results/", "migrations/", "skill/team-mesh/team-mesh.mjs"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      "no-console": ["error", { allow: ["warn", "error"] }],
    },
  },
  {
    // Only the gateway module may speak the OpenClaw protocol.
    files: ["**/*.ts", "**/*.tsx"],
    ignores: ["server/gateway/**", "test/**", "bench/**"],
    rules: {
      "no-restricted-imports": ["error", { patterns: ["@openclaw/*"] }],
    },
  },
  {
    // drizzle-orm's values come through server/db/drizzle.ts (loaded as CommonJS: see there why).
    files: ["server/**/*.ts"],
    ignores: ["server/db/drizzle.ts"],
    rules: {
      "@typescript-eslint/no-restricted-imports": ["error", { patterns: [DRIZZLE] }],
    },
  },
  {
    files: ["scripts/**", "bin/**", "cli/**", "server/admin/**", "bench/**", "test/**"],
    rules: { "no-console": "off" },
  },
);
