// Which gateway URLs the connector accepts. Mirrors OpenClaw's own Node client: plaintext ws://
// only to loopback, private, link-local and CGNAT addresses and to `.local` / `.ts.net` names;
// wss:// anywhere, optionally pinned to a SHA-256 certificate fingerprint. Pure: no DNS, no I/O.
import { isIPv4, isIPv6 } from "node:net";

export type GatewayUrlCheck =
  | { ok: true; url: string; secure: boolean; host: string; tlsFingerprint: string | null }
  | { ok: false; code: "INSECURE_GATEWAY_URL"; message: string };

function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

function inV4(ip: number, base: string, bits: number): boolean {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ip & mask) >>> 0 === (ipv4ToInt(base) & mask) >>> 0;
}

/** loopback 127/8, private 10/8 172.16/12 192.168/16, link-local 169.254/16, CGNAT 100.64/10 */
export function isPrivateOrLoopbackIPv4(ip: string): boolean {
  if (!isIPv4(ip)) return false;
  const n = ipv4ToInt(ip);
  return (
    inV4(n, "127.0.0.0", 8) ||
    inV4(n, "10.0.0.0", 8) ||
    inV4(n, "172.16.0.0", 12) ||
    inV4(n, "192.168.0.0", 16) ||
    inV4(n, "169.254.0.0", 16) ||
    inV4(n, "100.64.0.0", 10)
  );
}

function expandIPv6(ip: string): number[] | null {
  let text = ip.toLowerCase();
  const zone = text.indexOf("%");
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  const maybeV4 = text.slice(lastColon + 1);
  if (isIPv4(maybeV4)) {
    const n = ipv4ToInt(maybeV4);
    tail = [n >>> 16, n & 0xffff];
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 && head.length !== 8) return null;
  const groups = [...head, ...Array<string>(Math.max(fill, 0)).fill("0"), ...rest].map((g) => parseInt(g || "0", 16));
  if (groups.length !== 8 || groups.some((g) => Number.isNaN(g) || g < 0 || g > 0xffff)) return null;
  if (tail.length) groups.splice(6, 2, ...tail);
  return groups;
}

/** ::1, fc00::/7 (unique local), fe80::/10 (link-local), fec0::/10 (site-local), IPv4-mapped private */
export function isPrivateOrLoopbackIPv6(ip: string): boolean {
  if (!isIPv6(ip.split("%")[0] ?? "")) return false;
  const g = expandIPv6(ip);
  if (!g) return false;
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 1) return true;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return isPrivateOrLoopbackIPv4(`${g6 >>> 8}.${g6 & 0xff}.${g7 >>> 8}.${g7 & 0xff}`);
  }
  return (g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xffc0) === 0xfec0;
}

export function isTrustedPlaintextHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "").replace(/\.+$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return host === "localhost";
  if (isIPv4(host)) return isPrivateOrLoopbackIPv4(host);
  if (host.includes(":")) return isPrivateOrLoopbackIPv6(host);
  return host.endsWith(".local") || host.endsWith(".ts.net");
}

/** "AB:CD:…" (32 pairs), 64 hex digits, optionally prefixed "sha256:" → 64 lowercase hex; else null. */
export function normalizeTlsFingerprint(value: string): string | null {
  const v = value.trim().replace(/^sha256:/i, "");
  if (/^[a-fA-F0-9]{64}$/.test(v)) return v.toLowerCase();
  if (/^(?:[a-fA-F0-9]{2}:){31}[a-fA-F0-9]{2}$/.test(v)) return v.replaceAll(":", "").toLowerCase();
  return null;
}

/**
 * One spelling per gateway address, so two teammate entries that point at the same gateway share
 * a queue: scheme and host lower-cased, default port and trailing slash dropped (WHATWG URL does
 * these), and the loopback names localhost / 127.0.0.1 / [::1] folded together (localhost resolves
 * to either; serializing two distinct loopback listeners costs only a wait, missing one loses replies).
 */
export function gatewayAddressKey(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return url.trim().toLowerCase();
  }
  const host = ["localhost", "127.0.0.1", "[::1]"].includes(parsed.hostname) ? "localhost" : parsed.hostname;
  const port = parsed.port ? `:${parsed.port}` : "";
  const path = parsed.pathname.replace(/\/+$/, "");
  return `${parsed.protocol}//${host}${port}${path}${parsed.search}`;
}

function reject(message: string): GatewayUrlCheck {
  return { ok: false, code: "INSECURE_GATEWAY_URL", message };
}

/**
 * Validates a gateway URL (and optional certificate pin) before anything connects to it.
 * The message says what to do instead; it never echoes credentials embedded in the URL.
 */
export function checkGatewayUrl(url: string, opts: { tlsFingerprint?: string | null } = {}): GatewayUrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return reject("Gateway URL is not a valid URL; expected e.g. wss://gateway.example.com or ws://192.168.1.20:18789.");
  }
  if (parsed.protocol !== "ws:" && parsed.protocol !== "wss:") {
    return reject(`Gateway URL must start with ws:// or wss:// (got ${parsed.protocol.replace(/:$/, "")}://).`);
  }
  if (parsed.username || parsed.password) {
    return reject("Gateway URL must not contain credentials; store the gateway token separately.");
  }
  if (!parsed.hostname) return reject("Gateway URL has no host.");
  const secure = parsed.protocol === "wss:";
  let fingerprint: string | null = null;
  if (opts.tlsFingerprint != null && opts.tlsFingerprint.trim() !== "") {
    fingerprint = normalizeTlsFingerprint(opts.tlsFingerprint);
    if (!fingerprint) return reject("TLS fingerprint must be a SHA-256 certificate fingerprint (64 hex digits, colons allowed).");
    if (!secure) return reject("A TLS fingerprint pin needs a wss:// gateway URL.");
  }
  if (!secure && !isTrustedPlaintextHost(parsed.hostname)) {
    return reject(
      `Plaintext ws:// is only allowed to loopback, private-network, link-local or CGNAT addresses and .local/.ts.net names; "${parsed.hostname}" is none of these. Use wss:// (optionally with a certificate fingerprint), an SSH tunnel, or Tailscale.`,
    );
  }
  return { ok: true, url: parsed.toString().replace(/\/$/, parsed.pathname === "/" ? "" : "/"), secure, host: parsed.hostname, tlsFingerprint: fingerprint };
}
