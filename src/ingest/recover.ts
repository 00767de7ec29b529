// Recovery from PostgreSQL and the raw archive (docs/design.md invariant 1): whatever the
// ledger says is unfinished is handed to the sink again. Batches lost with Redis are
// re-parsed from the archived file and re-enqueued; a run whose parser died is resumed,
// skipping the batches already applied. Applying twice is harmless (the batch ledger and
// the version guard), so recovery may err on the side of re-enqueueing.
import type { Queue } from 'bullmq';
import { claimStaleRun, type Run } from '../db/runs.js';
import { appliedBatchSeqs, runsToRecover, unappliedBatchSeqs } from '../db/run-lookups.js';
import type { BatchJob } from '../catalogue/batch.js';
import { batchJobId } from '../queue/jobs.js';
import { parseRun } from './csv.js';
import type { IngestContext } from './lifecycle.js';

export interface RecoveryReport {
  resumed: number[];
  requeued: { runId: number; seqs: number[] }[];
}

/** The advisory lock one recovery pass holds: `feedline worker` and `serve` recover one process at a time. */
const RECOVERY_LOCK = 'feedline.recover';

/** A recovery pass unless another process is running one (then undefined). */
export async function recoverRunsOnce(ctx: IngestContext, queue: Queue<BatchJob> | undefined): Promise<RecoveryReport | undefined> {
  return ctx.db.tryWithLock(RECOVERY_LOCK, () => recoverRuns(ctx, queue));
}

export async function recoverRuns(ctx: IngestContext, queue: Queue<BatchJob> | undefined, staleSeconds = ctx.config.staleParseSeconds): Promise<RecoveryReport> {
  const report: RecoveryReport = { resumed: [], requeued: [] };
  for (const run of await runsToRecover(ctx.db.orm, staleSeconds)) {
    const log = ctx.logger.child({ component: 'recovery', runId: run.id });
    if (run.status === 'parsing') {
      if (!(await claimStaleRun(ctx.db.orm, run.id, staleSeconds))) continue;
      log.warn({ file: run.fileName }, 'resuming a run whose parser stopped');
      await parseRun(ctx, run, { skip: await appliedBatchSeqs(ctx.db.orm, run.id) });
      report.resumed.push(run.id);
      continue;
    }
    const lost = await lostBatches(ctx, run, queue);
    if (lost.length === 0) continue;
    log.warn({ file: run.fileName, batches: lost.length }, 're-enqueueing batches lost from the queue');
    await parseRun(ctx, run, { only: new Set(lost) });
    report.requeued.push({ runId: run.id, seqs: lost });
  }
  return report;
}

/** Unapplied batches with no live job: gone with Redis, or failed for good. */
async function lostBatches(ctx: IngestContext, run: Run, queue: Queue<BatchJob> | undefined): Promise<number[]> {
  const unapplied = await unappliedBatchSeqs(ctx.db.orm, run.id);
  if (!queue) return unapplied;
  const lost: number[] = [];
  for (const seq of unapplied) {
    const job = await queue.getJob(batchJobId(run.id, seq));
    if (!job) lost.push(seq);
    else if (await job.isFailed()) {
      await job.remove();
      lost.push(seq);
    }
  }
  return lost;
}
