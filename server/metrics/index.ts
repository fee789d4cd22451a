// Prometheus metrics (prom-client), on a registry of our own so several servers can live in
// one process (tests). Exposed at /metrics: bearer MESH_METRICS_TOKEN, or a caller with
// metrics:read (admin).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface MetricsSources {
  openConnections(): number;
  teammatesByState(): Record<string, number>;
}

export interface Metrics {
  registry: Registry;
  observeRequest(info: { method: string; route: string; status: number; durationMs: number }): void;
  observeSend(outcome: string, latencyMs: number | null, kind: "message" | "broadcast"): void;
  observeBroadcast(recipients: number, durationMs: number): void;
  setSources(sources: MetricsSources): void;
  text(): Promise<string>;
  contentType: string;
}

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: "mesh_process_" });
  let sources: MetricsSources | null = null;

  const requests = new Counter({
    name: "mesh_http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"] as const,
    registers: [registry],
  });
  const requestDuration = new Histogram({
    name: "mesh_http_request_duration_seconds",
    help: "HTTP request duration by route",
    labelNames: ["method", "route"] as const,
    buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const sends = new Counter({
    name: "mesh_sends_total",
    help: "Delivery attempts (one per round or broadcast recipient) by outcome",
    labelNames: ["outcome", "kind"] as const,
    registers: [registry],
  });
  const sendLatency = new Histogram({
    name: "mesh_send_latency_seconds",
    help: "Time from send to final outcome of one delivery attempt",
    labelNames: ["outcome"] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  const broadcastSize = new Histogram({
    name: "mesh_broadcast_recipients",
    help: "Recipients per confirmed broadcast",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [registry],
  });
  const broadcastDuration = new Histogram({
    name: "mesh_broadcast_duration_seconds",
    help: "Time from confirmation to the last recipient's final status",
    buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    registers: [registry],
  });
  new Gauge({
    name: "mesh_gateway_connections_open",
    help: "Pooled gateway connections currently open",
    registers: [registry],
    collect() {
      this.set(sources?.openConnections() ?? 0);
    },
  });
  new Gauge({
    name: "mesh_teammates",
    help: "Teammates by last known status",
    labelNames: ["status"] as const,
    registers: [registry],
    collect() {
      this.reset();
      if (!sources) return;
      for (const [status, n] of Object.entries(sources.teammatesByState())) this.set({ status }, n);
    },
  });

  return {
    registry,
    contentType: registry.contentType,
    observeRequest({ method, route, status, durationMs }) {
      requests.inc({ method, route, status: String(status) });
      requestDuration.observe({ method, route }, durationMs / 1000);
    },
    observeSend(outcome, latencyMs, kind) {
      sends.inc({ outcome, kind });
      if (latencyMs !== null) sendLatency.observe({ outcome }, latencyMs / 1000);
    },
    observeBroadcast(recipients, durationMs) {
      broadcastSize.observe(recipients);
      broadcastDuration.observe(durationMs / 1000);
    },
    setSources(s) {
      sources = s;
    },
    text: () => registry.metrics(),
  };
}
