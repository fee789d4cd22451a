import { defineConfig } from "vitest/config";
import solid from "vite-plugin-solid";

// One runner, several projects. `npm test` runs them all (scripts/test.mjs);
// `npx vitest run --project <name>` runs one.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["server/**/*.test.ts", "shared/**/*.test.ts", "cli/**/*.test.ts", "test/support/**/*.test.ts", "scripts/**/*.test.ts", "test/fault/**/*.test.ts"],
          environment: "node",
          globals: true,
          testTimeout: 20_000,
        },
      },
      {
        plugins: [solid()],
        resolve: { conditions: ["development", "browser"] },
        test: {
          name: "web",
          include: ["web/src/**/*.test.{ts,tsx}"],
          environment: "jsdom",
          globals: true,
          setupFiles: ["web/src/test-setup.ts"],
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          environment: "node",
          globals: true,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        // Real OpenClaw gateways: slow to start, heavy on memory, so one file at a time.
        test: {
          name: "interop",
          include: ["test/interop/**/*.test.ts"],
          environment: "node",
          globals: true,
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          environment: "node",
          globals: true,
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 600_000,
        },
      },
    ],
  },
});
