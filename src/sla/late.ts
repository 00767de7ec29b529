// A run applied outside its window is a breach on record (issue 24), whichever path applied
// it (CSV, DDEX, events; queue or in process; serve, ingest or replay). Its pending-run alert
// (`sla-run-N`) resolves once the run is applied; the lateness itself is a second subject,
// `sla-late-N`, raised once with how late the run was and kept open, so `feedline sla`, the
// SLA page and /metrics show it until an operator acknowledges it (`feedline alerts ack`
// closes it; the history keeps it).
import { recordResolvedBreach } from '../db/alerts.js';
import { runsAppliedLateUnalerted } from '../db/sla.js';
import type { SlaContext } from './check.js';
import { alertSubject, feedLabel, LATE_RUN_SUBJECT_PREFIX } from './subjects.js';
import { formatDuration } from './deadlines.js';

/** Late runs applied before this are history; none is looked for. */
const LOOKBACK_MS = 7 * 24 * 3_600_000;

export interface LateRunOptions {
  /**
   * Runs applied late before this moment are history: recorded (alert_events), not announced.
   * `serve` passes its start, so a first start on an existing database sends no storm.
   */
  announceAppliedSince?: Date;
}

/** Raises the breach of every run applied past its deadline that has none on record yet; returns how many. */
export async function alertLateRuns(ctx: SlaContext, options: LateRunOptions = {}): Promise<number> {
  const now = ctx.now();
  const window = ctx.sla.windowHours * 3600;
  const late = await runsAppliedLateUnalerted(ctx.db.orm, new Date(now.getTime() - LOOKBACK_MS), window, LATE_RUN_SUBJECT_PREFIX);
  for (const run of late) {
    const appliedAt = run.appliedAt ?? now;
    const latency = (appliedAt.getTime() - run.publishedAt.getTime()) / 1000;
    const breach = {
      subject: alertSubject.lateRun(run.id), kind: 'sla' as const, state: 'breach' as const,
      message: `run ${run.id} (${feedLabel(run)}) was applied ${formatDuration(latency)} after publication, ${formatDuration(latency - window)} past the ${ctx.sla.windowHours} h window`,
      details: {
        runId: run.id, feed: feedLabel(run), file: run.fileName, publishedAt: run.publishedAt.toISOString(),
        appliedAt: appliedAt.toISOString(), latencySeconds: Math.round(latency), lateBySeconds: Math.round(latency - window),
      },
    };
    if (options.announceAppliedSince && appliedAt < options.announceAppliedSince) {
      await recordResolvedBreach(ctx.db.orm, breach, `run ${run.id} (${feedLabel(run)}) applied late before this process started`, appliedAt);
      continue;
    }
    await ctx.alerter.raise(breach);
  }
  return late.length;
}
