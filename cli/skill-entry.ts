// Entry of the OpenClaw skill's bundle, skill/team-mesh/team-mesh.mjs (built by
// scripts/build-skill.mjs): the team-mesh CLI itself, in one file that plain `node` runs. From
// here a broadcast is only ever created, never confirmed: a person confirms it in the dashboard;
// the users admin commands are left out.
import { main } from "./main.ts";

await main(process.argv.slice(2), { neverConfirm: true, adminCommands: false });
