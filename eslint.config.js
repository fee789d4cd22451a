import js from "@eslint/js";
import tseslint from "typescript-eslint";
import globals from "globals";

export default tseslint.config(
  { ignores: ["node_modules/", "web/dist/", "data/", "test-results/", "migrations/"] },
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
    files: ["scripts/**", "bin/**", "server/cli/**", "bench/**", "test/**"],
    rules: { "no-console": "off" },
  },
);
