// Process entry: config → logger → db → migrations → vault → services → interrupt what the last
// run left pending → listen → graceful shutdown on SIGTERM/SIGINT.
//   node server/main.ts
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getRequestListener } from "@hono/node-server";
import { buildApp } from "./app.ts";
import { ConfigError, loadConfig, type Config } from "./config.ts";
import { listenerError, protectServer, serverOptions } from "./http/node-server.ts";
import { createEventsEndpoint } from "./events/ws.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createServices, type ServiceOverrides, type Services } from "./services.ts";

export interface RunningServer {
  url: string;
  port: number;
  services: Services;
  /** Graceful stop: refuse new requests, let in-flight sends finish (grace), interrupt the rest, close. */
  shutdown(reason?: string): Promise<void>;
}

export interface StartOptions extends ServiceOverrides {
  /** ms between WebSocket heartbeats (tests use small values). */
  heartbeatMs?: number;
  /** ms between the backstop re-checks of open WebSockets' credentials (default 60 s). */
  credentialRecheckMs?: number;
  /** Where the setup code's plain line goes (default: standard error). */
  notice?: (line: string) => void;
}

/**
 * The first-start setup code on a line of its own: the log line carries it too, but as JSON when
 * output is not a terminal, where nobody reading `docker logs` finds it.
 */
export function setupCodeNotice(code: string, url: string): string {
  return `Team Mesh setup code: ${code}  (open ${url} and enter it to create the first admin account)`;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config);
  const services = createServices(config, { ...opts, logger });
  services.recover();
  let shuttingDown = false;
  const { app, auth } = buildApp(services, { isShuttingDown: () => shuttingDown });
  const events = createEventsEndpoint({
    bus: services.bus,
    logger,
    authenticate: (req) => auth.principalOf(req),
    recheck: (req) => auth.recheck(req),
    onRevoked: (listener) => services.auth.onRevoked(listener),
    recheckMs: opts.credentialRecheckMs,
    canSee: (principal, event) => (event.type === "audit.appended" || event.type === "audit.verify" ? auth.has(principal, "audit:read") : true),
    heartbeatMs: opts.heartbeatMs,
  });

  const limits = {
    headerTimeoutMs: config.headerTimeoutSec * 1000,
    requestTimeoutMs: config.requestTimeoutSec * 1000,
    keepAliveTimeoutMs: config.keepAliveTimeoutSec * 1000,
    maxConnectionsPerAddress: config.maxConnectionsPerIp,
  };
  // node:http with Hono's listener (not serve()): its errorHandler answers requests that cannot
  // even become a Request (e.g. a header value Headers refuses) in the error envelope.
  const listener = getRequestListener(app.fetch, { hostname: config.host, errorHandler: (err) => listenerError(err, logger) });
  const server = createServer(serverOptions(limits), listener);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  protectServer(server, limits, logger);
  events.attach(server);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(":") ? `[${config.host}]` : config.host}:${port}`;
  logger.info({ host: config.host, port, url }, "listening");
  const { setupCode } = services.auth.bootstrap();
  if (setupCode) (opts.notice ?? ((line) => process.stderr.write(`${line}\n`)))(setupCodeNotice(setupCode, url));

  let stopping: Promise<void> | null = null;
  async function shutdown(reason = "shutdown"): Promise<void> {
    if (stopping) return stopping;
    stopping = (async () => {
      shuttingDown = true;
      logger.info({ reason, inFlight: services.inflight.size(), graceSec: config.shutdownGraceSec }, "shutting down");
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      events.close();
      const finished = await services.inflight.drain(config.shutdownGraceSec * 1000);
      if (!finished) {
        logger.warn({ inFlight: services.inflight.size() }, "grace period over: interrupting in-flight sends");
        services.inflight.abortAll("interrupted");
        await services.inflight.drain(3_000);
      }
      // Whatever is still pending now will never complete in this process.
      const left = services.recover();
      if (left.audit || left.messages) logger.warn(left, "marked unfinished work interrupted");
      await Promise.race([closed, new Promise((r) => setTimeout(r, 2_000))]);
      server.closeAllConnections();
      await services.close();
      logger.info("stopped");
    })();
    return stopping;
  }

  return { url, port, services, shutdown };
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const logger: Logger = createLogger(config);
  let running: RunningServer;
  try {
    running = await startServer(config, { logger });
  } catch (err) {
    logger.fatal({ err }, "start-up failed");
    process.exit(1);
  }
  const onSignal = (signal: NodeJS.Signals) => {
    running
      .shutdown(signal)
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, "shutdown failed");
        process.exit(1);
      });
  };
  // A stray rejection is a bug to log, not a reason to drop every in-flight send.
  process.on("unhandledRejection", (err) => logger.error({ err }, "unhandled promise rejection"));
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
}

if (import.meta.main) await main();
