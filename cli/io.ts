// Everything the CLI touches outside itself, so tests can run it in-process.
import { createInterface } from "node:readline/promises";

export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /** Standard input and error are both a terminal: prompts are possible. */
  isTTY: boolean;
  /** Asks on the terminal (question on stderr), returns the answer line. */
  prompt(question: string, opts?: { silent?: boolean }): Promise<string>;
  env: NodeJS.ProcessEnv;
  now(): Date;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks).toString("utf8");
}

export function processIO(): CliIO {
  return {
    stdout: (t) => process.stdout.write(`${t}\n`),
    stderr: (t) => process.stderr.write(`${t}\n`),
    readStdin: () => readAll(process.stdin),
    isTTY: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    async prompt(question, opts = {}) {
      const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
      if (opts.silent) {
        // Hide what is typed (passwords): echo nothing after the question.
        const out = rl as unknown as { _writeToOutput?: (s: string) => void };
        let asked = false;
        out._writeToOutput = (s: string) => {
          if (!asked) {
            process.stderr.write(s);
            asked = true;
          }
        };
      }
      try {
        const answer = await rl.question(question);
        if (opts.silent) process.stderr.write("\n");
        return answer;
      } finally {
        rl.close();
      }
    },
    env: process.env,
    now: () => new Date(),
  };
}
