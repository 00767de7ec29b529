// `serve --role gate` with FEEDLINE_GATE_PROCESSES > 1: the primary process only forks that
// many copies of itself (node:cluster), which share the gate's port, and restarts one that
// dies. Each copy is a whole gate with its own view and notification channel; nonces and
// plays are shared through Redis or PostgreSQL, so any copy may answer any request.
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from '../log.js';

const RESTART_DELAY_MS = 1_000;

export function isGateClusterPrimary(processes: number): boolean {
  return processes > 1 && cluster.isPrimary;
}

export async function superviseGateProcesses(processes: number, logger: Logger, stopping: Promise<string>, graceMs: number): Promise<number> {
  const log = logger.child({ component: 'gate-cluster' });
  let stopped = false;
  const fork = () => cluster.fork();
  cluster.on('exit', (worker: Worker, code, signal) => {
    if (stopped) return;
    log.error({ pid: worker.process.pid, code, signal }, 'a gate process died; starting another');
    setTimeout(() => { if (!stopped) fork(); }, RESTART_DELAY_MS).unref();
  });
  for (let i = 0; i < processes; i++) fork();
  log.info({ processes }, 'gate processes started');
  const signal = await stopping;
  stopped = true;
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
  await Promise.all(workers.map((worker) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => { worker.process.kill('SIGKILL'); resolve(); }, graceMs + 5_000);
    worker.once('exit', () => { clearTimeout(timer); resolve(); });
    worker.process.kill('SIGTERM');
  })));
  log.info({ signal }, 'gate processes stopped');
  return 0;
}
