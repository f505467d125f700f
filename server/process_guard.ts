/**
 * The process's last line of defence: an exception that no connection's
 * own guard caught (thrown from a timer or an event inside a library, a
 * promise rejected with no handler) is logged and the process keeps
 * serving, instead of ending every call on the server. Each connection
 * already closes itself on its own failures (the media node's
 * `connection_guard.ts`, the WebSocket session's error handling); this only
 * sees what escaped them, which is a bug to fix, so the log line says so.
 *
 * @module
 */

import { logText } from "./log_text.ts";

/** Most lines of a stack trace a log line carries. */
const STACK_LINES = 8;

/**
 * Keeps the process running past uncaught exceptions and unhandled
 * rejections, logging each one. Returns a function that removes the guard.
 */
export function installProcessGuard(log: (line: string) => void): () => void {
  const report = (what: string, error: unknown) => {
    const text = error instanceof Error
      ? (error.stack ?? `${error.name}: ${error.message}`)
        .split("\n").slice(0, STACK_LINES).join("\n")
      : logText(error);
    log(`${what} (a bug; the server keeps running): ${text}`);
  };
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    report("uncaught exception", event.error ?? event.message);
  };
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    report("unhandled rejection", event.reason);
  };
  globalThis.addEventListener("error", onError);
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => {
    globalThis.removeEventListener("error", onError);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  };
}
