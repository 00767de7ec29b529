// The gate as a `serve` part: one gate process with the play log and its forwarder,
// stopped on SIGTERM.
import cluster from 'node:cluster';
import { createPlayForwarder } from '../gate/forward.js';
import { startGate } from '../gate/gate.js';
import { playsRoute } from '../gate/plays.js';
import type { ServeDeps } from './parts.js';

export async function startGateService(deps: ServeDeps): Promise<{ stop(graceMs: number): Promise<void> }> {
  const { config, logger, db } = deps;
  const gate = await startGate({
    config, logger, db, redis: deps.redis,
    routes: [playsRoute(db, config.source)],
    processes: cluster.isWorker ? config.gate.processes : 1,
  });
  const forwarder = createPlayForwarder({ config, db, logger, alerter: deps.alerter });
  logger.info({ component: 'gate', host: config.gate.host, port: gate.port, nonces: deps.redis ? 'redis' : 'postgres', forwarding: Boolean(forwarder) }, 'playback gate serving');
  return {
    async stop() {
      await gate.close();
      await forwarder?.stop();
    },
  };
}
