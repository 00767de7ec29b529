// A long-running command started through a wrapper that does not pass every signal on (npx,
// `npm start`: when npm itself is killed, feedline is not told) must not outlive it: when the
// parent dies the process is re-parented, so a changed parent pid means it is gone. Then we
// stop as if sent SIGTERM, finishing work in hand. Only when asked (config.exitWithParent):
// nohup, setsid and daemonizers leave their child behind on purpose (README "Running in the
// background").
import type { Logger } from '../log.js';
import { startPeriodic } from '../periodic.js';

const CHECK_EVERY_MS = 1_000;

export function exitWithParent(logger: Logger, onGone: () => void): void {
  const parent = process.ppid;
  // Started by init or a container runtime: nothing to follow.
  if (parent <= 1) return;
  const watch = startPeriodic({
    name: 'parent watch',
    schedule: { everyMs: CHECK_EVERY_MS },
    logger,
    runAtStart: false,
    // The watch alone never keeps the process alive.
    unref: true,
    run: async () => {
      if (process.ppid === parent) return;
      void watch.stop();
      onGone();
    },
  });
}
