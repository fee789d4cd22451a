#!/usr/bin/env node
// The `team-mesh` command. The CLI is TypeScript run by Node's type stripping (Node >= 22.18).
const [major, minor] = process.versions.node.split(".").map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  console.error(`team-mesh needs Node.js 22.18 or newer (this is ${process.version}); see README "Quick start".`);
  process.exit(2);
}
const { main } = await import("../cli/main.ts");
await main();
