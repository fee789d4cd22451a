// Runs a child process to completion for a test: its exit code and everything it printed.
// Two things make naive spawn helpers flaky on a loaded machine, and both are handled here:
// - a child that exits before reading its standard input makes our write fail with EPIPE, an
//   unhandled 'error' event that fails the whole run although the test itself passed;
// - 'exit' can fire before the stdout/stderr pipes are drained, so output would be cut off:
//   we resolve on 'close', which comes after both.
import { spawn } from "node:child_process";

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Written to the child's standard input, which is then closed. */
  input?: string;
  /** The child is killed (SIGKILL) and the promise rejected after this long. */
  timeoutMs?: number;
}

export function runProcess(cmd: string, args: string[], opts: RunOptions = {}): Promise<ProcessResult> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${cmd} ${args.join(" ")} did not exit within ${timeoutMs} ms:\n${out}\n${err}`));
    }, timeoutMs);
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    // The child may exit (or close its stdin) before reading what we write: not a test failure.
    child.stdin.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code !== "EPIPE" && e.code !== "ECONNRESET") reject(e);
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, err });
    });
    child.stdin.end(opts.input ?? "");
  });
}
