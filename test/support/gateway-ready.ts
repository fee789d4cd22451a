// Waits until an OpenClaw gateway is ready: an authenticated connect (shared token from
// $TM_READY_TOKEN) whose hello-ok scopes include operator.write.
//   node test/support/gateway-ready.ts <ws-url> <deadline-epoch-ms>
// Exits 0 when ready, 1 on deadline. Run as a script so it can run inside a network namespace.
import { GatewayClient } from "@openclaw/gateway-client";

export async function waitForGatewayReady(url: string, token: string, deadline: number): Promise<{ attempts: number; lastError: string }> {
  let attempts = 0;
  let lastError = "";
  while (Date.now() < deadline) {
    attempts++;
    const ok = await new Promise<boolean>((resolve) => {
      let done = false;
      const finish = (v: boolean, why = "") => {
        if (done) return;
        done = true;
        if (why) lastError = why;
        clearTimeout(timer);
        client.stop();
        resolve(v);
      };
      const client = new GatewayClient({
        url,
        token,
        clientName: "gateway-client",
        mode: "backend",
        role: "operator",
        scopes: ["operator.read", "operator.write"],
        minProtocol: 4,
        maxProtocol: 4,
        deviceIdentity: null,
        env: {},
        notifyOnStartupRetry: true,
        onHelloOk: (hello) => finish(Boolean(hello.auth?.scopes?.includes("operator.write")), `scopes ${JSON.stringify(hello.auth?.scopes)}`),
        onConnectError: (err) => finish(false, err.message),
        onClose: (code, reason) => finish(false, `closed ${code} ${reason}`),
      });
      const timer = setTimeout(() => finish(false, "attempt timeout"), 5000);
      client.start();
    });
    if (ok) return { attempts, lastError };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`gateway ${url} not ready: ${lastError}`);
}

if (import.meta.main) {
  const [url, deadline] = process.argv.slice(2);
  try {
    const r = await waitForGatewayReady(url ?? "", process.env.TM_READY_TOKEN ?? "", Number(deadline));
    process.stdout.write(`ready after ${r.attempts} attempts\n`);
    process.exit(0);
  } catch (err) {
    process.stdout.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
