// The apply worker as every command starts it (`feedline worker`, `serve --role worker|all`):
// one lock duration, and a batch that fails every attempt raises the batch_failed alert.
import type { Worker } from 'bullmq';
import type { Logger } from '../log.js';
import type { BatchJob } from '../catalogue/batch.js';
import { startApplyWorker } from '../queue/worker.js';
import type { Alerter } from '../sla/alerts.js';
import { alertSubject } from '../sla/subjects.js';
import type { Runtime } from './runtime.js';

export function startAlertingApplyWorker(runtime: Runtime, alerter: Alerter, logger: Logger, concurrency: number): Worker<BatchJob> {
  return startApplyWorker(runtime.db, runtime.redis!, logger, {
    prefix: runtime.config.queuePrefix,
    concurrency,
    lockDurationMs: runtime.config.jobLockMs,
    onPoisonBatch: (job, quarantined) => {
      alerter.raise({
        subject: alertSubject.batchFailed(job.runId),
        kind: 'batch_failed',
        state: 'breach',
        message: `run ${job.runId} batch ${job.seq} failed every attempt; applied row by row, ${quarantined} row(s) quarantined (feedline quarantine ${job.runId})`,
        details: { runId: job.runId, seq: job.seq, quarantined },
      }).catch((err: unknown) => logger.warn({ err }, 'could not raise the batch alert'));
    },
  });
}
