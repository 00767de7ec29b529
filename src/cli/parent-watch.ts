// A long-running command started by another process (a shell job, `npx`, a wrapper script)
// must not outlive it: when the parent dies the process is re-parented, so a changed
// parent pid means it is gone. Then we stop as if sent SIGTERM, finishing work in hand.
// Under a process manager (PID 1 in a container, systemd) this never fires.

const CHECK_EVERY_MS = 1_000;

export function exitWithParent(onGone: () => void): void {
  const parent = process.ppid;
  // Started by init or a container runtime: nothing to follow.
  if (parent <= 1) return;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, CHECK_EVERY_MS);
  timer.unref();
}
