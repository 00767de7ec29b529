// The SLA sweep: on a node-cron schedule (every minute by default), recompute everything
// from PostgreSQL and bring the alerts in line. It is what makes the timers disposable: a
// timer lost with Redis is a check the sweep makes anyway, and it re-arms the future ones.
// It also watches what has no timer: feeds due but missing, rejected files, batches that
// exhausted their retries, and quarantine above its share of a feed (docs/design.md invariant 6).
import { startPeriodic } from '../periodic.js';
import type { Queue } from 'bullmq';
import {
  feedDateApplied, feedFetchStatus, openSubjects, problemRuns,
} from '../db/sla.js';
import { checkRunSla, type SlaContext } from './check.js';
import { alertSubject, feedLabel, parseSubject, RUN_SLA_SUBJECT_PREFIX } from './subjects.js';
import { alertPossibleTakedowns } from './possible-takedowns.js';
import { slaSnapshot, type SlaSnapshot } from './deadlines.js';
import { alertLateRuns } from './late.js';
import { sweepMissing } from './missing.js';
import { scheduleRunTimers, type SlaTimerJob } from './timers.js';

/** Problems older than this are history, not alerts: the report and the audit keep them. */
const LOOKBACK_MS = 7 * 24 * 3_600_000;

export interface SweepOptions {
  /** The `sla` queue, to re-arm timers lost with Redis; absent without Redis. */
  timers?: Queue<SlaTimerJob>;
  quarantineAlertShare: number;
  /** Runs applied late before this moment are history (src/sla/late.ts). */
  announceAppliedSince?: Date;
}

export interface SweepResult {
  snapshot: SlaSnapshot;
  timersArmed: number;
}

export async function sweepOnce(ctx: SlaContext, options: SweepOptions): Promise<SweepResult> {
  const now = ctx.now();
  const { alerter, db } = ctx;
  const snapshot = await slaSnapshot(db, ctx.sla, now);

  // Pending runs: raise warning or breach as their clocks say; re-arm their future timers.
  let timersArmed = 0;
  const pendingIds = new Set<number>();
  for (const run of snapshot.runs) {
    pendingIds.add(run.id);
    if (run.state !== 'ok') await checkRunSla(ctx, run.id, run.pendingChanges);
    if (options.timers) timersArmed += await scheduleRunTimers(options.timers, run, ctx.sla, now);
  }
  // Open SLA alerts whose run is no longer pending: applied (resolved) or rejected.
  for (const { subject, details } of await openSubjects(db.orm, 'sla')) {
    if (parseSubject(subject)?.about === 'lateRun') continue;
    const runId = Number(details.runId ?? subject.replace(/^sla-run-/, ''));
    if (!pendingIds.has(runId)) await checkRunSla(ctx, runId);
  }
  // A run applied past its deadline is a breach on record, whichever path applied it.
  await alertLateRuns(ctx, { announceAppliedSince: options.announceAppliedSince });
  const since = new Date(now.getTime() - LOOKBACK_MS);
  await sweepProblemRuns(ctx, since, options.quarantineAlertShare);
  await sweepMissingFeeds(ctx);
  return { snapshot, timersArmed };
}

async function sweepProblemRuns(ctx: SlaContext, since: Date, share: number): Promise<void> {
  const { alerter, db } = ctx;
  const open = new Set<string>();
  for (const run of await problemRuns(db.orm, since)) {
    const feed = feedLabel(run);
    // A rejected file or a failed batch loses that day's changes until the same feed and
    // date is applied again; a later day does not carry them. Quarantine is a warning about
    // the provider's data and clears when the feed moves on.
    const fixed = run.reappliedBy !== null;
    if (run.status === 'rejected' && !fixed) {
      open.add(alertSubject.rejected(run.id));
      await alerter.raise({
        subject: alertSubject.rejected(run.id), kind: 'rejected', state: 'breach',
        message: `run ${run.id} (${feed}) was rejected: ${run.error ?? 'no reason recorded'}; nothing of it is applied`,
        details: { runId: run.id, feed, file: run.fileName, reason: run.error },
      });
    }
    if (run.failedBatches > 0 && run.status !== 'applied' && !fixed) {
      open.add(alertSubject.batchFailed(run.id));
      await alerter.raise({
        subject: alertSubject.batchFailed(run.id), kind: 'batch_failed', state: 'breach',
        message: `run ${run.id} (${feed}): ${run.failedBatches} batch(es) exhausted their retries; replay or fix the cause`,
        details: { runId: run.id, feed, failedBatches: run.failedBatches },
      });
    }
    if (run.possibleTakedowns > 0 && !fixed) {
      open.add(alertSubject.possibleTakedown(run.id));
      await alertPossibleTakedowns(alerter, run, run.possibleTakedowns);
    }
    // A run whose records do not add up lost some of them somewhere (src/db/runs.ts).
    if (run.status === 'failed' && run.failedBatches === 0 && !fixed) {
      open.add(alertSubject.counts(run.id));
      await alerter.raise({
        subject: alertSubject.counts(run.id), kind: 'batch_failed', state: 'breach',
        message: `run ${run.id} (${feed}) failed: ${run.error ?? 'no reason recorded'}`,
        details: { runId: run.id, feed, file: run.fileName, reason: run.error },
      });
    }
    // The quarantined share is known once the file is parsed (rows is counted at the end).
    const parsed = run.status !== 'parsing' && run.status !== 'rejected';
    if (parsed && run.rows > 0 && run.quarantined / run.rows > share && run.supersededBy === null) {
      open.add(alertSubject.quarantine(run.id));
      await alerter.raise({
        subject: alertSubject.quarantine(run.id), kind: 'quarantine', state: 'warning',
        message: `run ${run.id} (${feed}): ${run.quarantined} of ${run.rows} rows quarantined (${(100 * run.quarantined / run.rows).toFixed(1)}%, above ${(100 * share).toFixed(1)}%); see feedline quarantine ${run.id}`,
        details: { runId: run.id, feed, quarantined: run.quarantined, rows: run.rows },
      });
    }
  }
  for (const kind of ['rejected', 'batch_failed', 'quarantine'] as const) {
    for (const { subject, details } of await openSubjects(db.orm, kind)) {
      if (open.has(subject)) continue;
      const why = kind === 'batch_failed' ? 'every batch is applied now' : kind === 'rejected' || parseSubject(subject)?.about === 'possibleTakedown' ? 'the feed was delivered again and applied' : 'a later run of the feed was applied';
      await alerter.resolve(subject, `run ${String(details.runId ?? '?')} (${String(details.feed ?? '')}): ${why}`);
    }
  }
}

async function sweepMissingFeeds(ctx: SlaContext): Promise<void> {
  const { alerter, db } = ctx;
  const open = await openSubjects(db.orm, 'missing');
  await sweepMissing(ctx, open.map((o) => o.details));
  // Alerts raised one per date, before they were grouped per feed: resolve each when its date arrives.
  for (const { subject, details } of open) {
    const d = details as { source?: string; entity?: string; kind?: string; country?: string; date?: string };
    if (!d.entity || !d.kind || !d.country || !d.date) continue;
    const key = { source: d.source, entity: d.entity, kind: d.kind, country: d.country, feedDate: d.date };
    const status = await feedFetchStatus(db.orm, key);
    if ((status !== undefined && status !== 'missing') || (await feedDateApplied(db.orm, key))) {
      await alerter.resolve(subject, `feed ${d.country} ${d.entity} ${d.kind} ${d.date} arrived`);
    }
  }
}

/** Runs the sweep now and on `cronExpression`, one tick at a time; returns its stopper. */
export function startSweep(ctx: SlaContext, cronExpression: string, options: SweepOptions): { stop(): Promise<void>; tick(): Promise<void> } {
  const log = ctx.logger.child({ component: 'sla-sweep' });
  const sweep = startPeriodic({
    name: 'sla sweep',
    schedule: { cron: cronExpression },
    run: async () => {
      const r = await sweepOnce(ctx, options);
      log.debug({ pendingRuns: r.snapshot.runs.length, breaching: r.snapshot.breaching, timersArmed: r.timersArmed }, 'sla sweep');
    },
    logger: log,
  });
  return {
    tick: async () => { await sweep.tick(); },
    stop: () => sweep.stop(),
  };
}
