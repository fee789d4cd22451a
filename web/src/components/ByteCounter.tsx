// Live UTF-8 byte count of a message against the server's soft and hard limits.
import { utf8Bytes } from "../../../shared/limits.ts";

export type ByteLevel = "ok" | "warn" | "over";

export function byteLevel(bytes: number, soft: number, hard: number): ByteLevel {
  if (bytes > hard) return "over";
  if (bytes > soft) return "warn";
  return "ok";
}

export function ByteCounter(props: { text: string; soft: number; hard: number; id?: string }) {
  const bytes = () => utf8Bytes(props.text);
  const level = () => byteLevel(bytes(), props.soft, props.hard);
  return (
    <p class={`byte-counter ${level()}`} id={props.id} aria-live="polite" data-level={level()}>
      <span>
        {bytes().toLocaleString("en-US")} / {props.hard.toLocaleString("en-US")} bytes
      </span>
      {level() === "warn" && <span> — above the soft limit ({props.soft.toLocaleString("en-US")} bytes); long messages may be cut or slow.</span>}
      {level() === "over" && <span> — too large: the limit is {props.hard.toLocaleString("en-US")} bytes. Shorten it to send.</span>}
    </p>
  );
}
