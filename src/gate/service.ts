// The gate as a `serve` part: one gate process, stopped on SIGTERM.
import cluster from 'node:cluster';
import type { ServeDeps } from '../cli/serve-parts.js';
import { startGate } from './gate.js';

export async function startGateService(deps: ServeDeps): Promise<{ stop(graceMs: number): Promise<void> }> {
  const { config, logger } = deps;
  const gate = await startGate({ config, logger, db: deps.db, redis: deps.redis, processes: cluster.isWorker ? config.gate.processes : 1 });
  logger.info({ component: 'gate', host: config.gate.host, port: gate.port, nonces: deps.redis ? 'redis' : 'postgres' }, 'playback gate serving');
  return { stop: () => gate.close() };
}
