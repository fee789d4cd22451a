// A connector client for the pairing interop test, run as a child process (inside a network
// namespace). Its credentials live in a JSON state file between runs, like the server's vault.
//   node test/support/pairing-client.ts <state.json> probe <url>
//   node test/support/pairing-client.ts <state.json> send <url> <message>
//   node test/support/pairing-client.ts <state.json> drop-shared-token
// A first run seeds the shared gateway token from $TM_GATEWAY_TOKEN. Prints one JSON line.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createGatewayConnector, createMemoryCredentialStore } from "../../server/gateway/index.ts";

const [stateFile = "", command = "", url = "", message = ""] = process.argv.slice(2);
const TEAMMATE = 1;
const creds = createMemoryCredentialStore(
  existsSync(stateFile) ? { snapshot: JSON.parse(readFileSync(stateFile, "utf8")) } : { gatewayTokens: { [TEAMMATE]: process.env.TM_GATEWAY_TOKEN ?? "" } },
);
const save = () => writeFileSync(stateFile, JSON.stringify(creds.toJSON()), { mode: 0o600 });

if (command === "drop-shared-token") {
  creds.setGatewayToken(TEAMMATE, null);
  save();
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} else {
  const connector = createGatewayConnector({ credentials: creds, connectTimeoutMs: 10_000 });
  const target = { teammateId: TEAMMATE, url };
  const result = command === "probe" ? await connector.probe(target) : await connector.send(target, { sessionKey: "main", message, timeoutMs: 60_000 });
  await connector.close();
  save();
  const token = creds.deviceToken(TEAMMATE);
  process.stdout.write(`${JSON.stringify({ result, hasDeviceToken: token !== null, deviceTokenScopes: token?.scopes ?? null, hasSharedToken: creds.gatewayToken(TEAMMATE) !== null })}\n`);
}
