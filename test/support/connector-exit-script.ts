// Child-process check that the connector leaks no sockets or timers: exercises it against the
// fake gateway whose URL is in argv (healthy, plus a refused port and a wrong token), closes it,
// prints "closed", and must then exit on its own — no process.exit here.
//   node test/support/connector-exit-script.ts <ws-url> <token>
import { createGatewayConnector, createMemoryCredentialStore } from "../../server/gateway/index.ts";

const [url = "", token = ""] = process.argv.slice(2);
const creds = createMemoryCredentialStore({ gatewayTokens: { 1: token, 2: "wrong-token", 3: token } });
const c = createGatewayConnector({ credentials: creds, idleCloseMs: 60_000, connectTimeoutMs: 2000 });
const results = await Promise.all([
  c.send({ teammateId: 1, url }, { sessionKey: "main", message: "hi", timeoutMs: 5000 }),
  c.send({ teammateId: 1, url }, { sessionKey: "slow", message: "[[delay:3000]] slow", timeoutMs: 200 }),
  c.send({ teammateId: 2, url }, { sessionKey: "main", message: "x", timeoutMs: 2000 }),
  c.send({ teammateId: 3, url: "ws://127.0.0.1:9" }, { sessionKey: "main", message: "x", timeoutMs: 2000 }),
  c.probe({ teammateId: 1, url }),
]);
process.stdout.write(`${JSON.stringify(results.map((r) => ("outcome" in r ? r.outcome : r.state)))}\n`);
process.stdout.write(`open ${c.openConnections()}\n`);
await c.close();
process.stdout.write("closed\n");
