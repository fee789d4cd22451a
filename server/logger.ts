// Structured JSON logs (pino). Credentials and message bodies are never logged: the redact
// list below is a safety net, the rule is not to pass them to the logger at all.
import pino, { type Logger } from "pino";
import type { Config } from "./config.ts";

export type { Logger };

const REDACT = [
  "token",
  "*.token",
  "password",
  "*.password",
  "key",
  "*.key",
  "authorization",
  "*.authorization",
  "headers.cookie",
  "*.headers.cookie",
  "message",
  "*.message.text",
  "reply",
  "*.reply",
  "privateKeyPem",
  "*.privateKeyPem",
  "deviceToken",
  "*.deviceToken",
];

export function createLogger(config: Pick<Config, "logLevel" | "logPretty">, destination?: pino.DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level: config.logLevel,
    base: { service: "team-mesh" },
    redact: { paths: REDACT, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (destination) return pino(options, destination);
  if (config.logPretty) {
    return pino({ ...options, transport: { target: "pino-pretty", options: { colorize: true } } });
  }
  return pino(options);
}
