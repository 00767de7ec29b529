// How a long-running command (`serve`, `worker`) is asked to stop and how its process ends.
// The first SIGTERM or SIGINT starts a graceful stop; past the grace period (plus a margin
// for closing connections) the process is forced out. Once the command has returned, the
// process ends as soon as nothing is left open, and at the latest LINGER_MS later: a cluster
// worker's IPC channel or a stray handle must not keep a stopped process alive.
import type { Logger } from '../log.js';

/** Beyond the grace period, how long closing connections may take before the exit is forced. */
const FORCED_EXIT_MARGIN_MS = 10_000;
/** After a stopped command has returned, how long open handles may keep the process alive. */
const LINGER_MS = 1_000;

export function stopSignals(logger: Logger, graceMs: number, onForced: () => void): Promise<string> {
  return new Promise<string>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      process.once(signal, () => {
        setTimeout(() => {
          logger.error({ signal }, 'shutdown took too long; exiting');
          onForced();
        }, graceMs + FORCED_EXIT_MARGIN_MS).unref();
        resolve(signal);
      });
    }
  });
}

/** Called when a long-running command has returned (or failed): nothing of it may outlive this. */
export function endWhenStopped(logger: Logger): void {
  // A node:cluster worker stays alive while its channel to the primary is open.
  if (process.connected) process.disconnect();
  setTimeout(() => {
    logger.warn({ open: process.getActiveResourcesInfo() }, 'handles still open after stopping; exiting');
    logger.flush();
    // The exit code main() returned, set by bin/feedline.js.
    process.exit();
  }, LINGER_MS).unref();
}
