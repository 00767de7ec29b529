// The SLA watch as `feedline serve` runs it (scheduler role): the sweep on its cron
// schedule and the worker that runs the delayed timers. Any number of replicas may run it:
// alerts are deduplicated in PostgreSQL and timer ids are deterministic.
import cron from 'node-cron';
import type { RedisConnection } from '../queue/redis.js';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Alerter } from './alerts.js';
import type { SlaContext } from './check.js';
import { startSweep } from './sweep.js';
import { createSlaQueue, startSlaTimerWorker } from './timers.js';
import { systemClock } from '../clock.js';

export interface SlaServiceDeps {
  config: Config;
  db: Database;
  redis: RedisConnection | undefined;
  logger: Logger;
  alerter: Alerter;
  now?: () => Date;
}

export function startSlaService(deps: SlaServiceDeps): { stop(graceMs: number): Promise<void> } {
  const { config } = deps;
  if (!cron.validate(config.sla.sweepCron)) {
    throw new UsageError(`FEEDLINE_SLA_SWEEP_CRON: ${JSON.stringify(config.sla.sweepCron)} is not a cron expression`);
  }
  const ctx: SlaContext = { db: deps.db, alerter: deps.alerter, sla: config.sla, logger: deps.logger, now: deps.now ?? systemClock };
  const queue = deps.redis ? createSlaQueue(deps.redis, config.queuePrefix) : undefined;
  const worker = deps.redis ? startSlaTimerWorker(ctx, deps.redis, config.queuePrefix) : undefined;
  // Late runs applied before this start are history: recorded, not announced again.
  const sweep = startSweep(ctx, config.sla.sweepCron, { timers: queue, quarantineAlertShare: config.sla.quarantineAlertShare, announceAppliedSince: ctx.now() });
  deps.logger.info({ component: 'sla', sweepCron: config.sla.sweepCron, timers: Boolean(worker), windowHours: config.sla.windowHours, warningHours: config.sla.warningHours }, 'sla watch started');
  return {
    async stop() {
      await sweep.stop();
      await worker?.close();
      await queue?.close();
    },
  };
}
