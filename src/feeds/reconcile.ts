// After a full feed is applied: take down what it no longer lists (issue 3 "Full feeds"),
// unless that would take down more than FEEDLINE_RECONCILE_MAX_SHARE of the live items.
// A truncated or broken full feed must not empty the catalogue: then nothing is taken
// down, an alert is raised and the run is marked pending until an operator confirms
// (`feedline reconcile <runId> --confirm`).
import type { Database } from '../db/client.js';
import { getRun } from '../db/run-lookups.js';
import { countAbsent, lockReconcileState, recordReconcileHeld, takeDownAbsent, type ReconcileTarget } from '../db/reconcile.js';
import { finishRuns, logRunFinish } from '../db/runs.js';
import { NotFoundError, UsageError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Alerter } from '../sla/alerts.js';
import { alertSubject, feedLabel } from '../sla/subjects.js';
import type { Entity } from '../config/schema.js';
import { systemClock } from '../clock.js';

export type ReconcileOutcome =
  | { state: 'applied'; runId: number; live: number; absent: number; takenDown: number; share: number; confirmed: boolean }
  | { state: 'pending'; runId: number; live: number; absent: number; share: number; maxShare: number }
  | { state: 'already'; runId: number; previous: Record<string, unknown> }
  | { state: 'dry_run'; runId: number; live: number; absent: number; share: number; maxShare: number; wouldApply: boolean };

export interface ReconcileDeps {
  db: Database;
  logger: Logger;
  alerter: Pick<Alerter, 'raise' | 'resolve'>;
  maxShare: number;
}

/**
 * Reconciles one applied full run. `confirm` overrides the share guard (the operator has
 * looked); `dryRun` only counts. Idempotent: a run already reconciled is left alone.
 */
export async function reconcileRun(deps: ReconcileDeps, runId: number, options: { confirm?: boolean; dryRun?: boolean } = {}): Promise<ReconcileOutcome> {
  const run = await getRun(deps.db.orm, runId);
  if (!run) throw new NotFoundError(`no run ${runId}`);
  if (run.kind !== 'full' || run.entity === 'ddex') throw new UsageError(`run ${runId} is a ${run.kind} feed; only full feeds are reconciled`);
  if (run.status !== 'applied') throw new UsageError(`run ${runId} is ${run.status}; a full feed is reconciled once it is applied`);
  const target: ReconcileTarget = { runId, entity: run.entity as Entity, source: run.source, country: run.country, versionBase: run.versionBase };
  const log = deps.logger.child({ component: 'reconcile', runId });

  const outcome = await deps.db.orm.transaction(async (tx): Promise<ReconcileOutcome> => {
    const previous = await lockReconcileState(tx, runId);
    if (previous && previous.state === 'applied') return { state: 'already', runId, previous };
    const { live, absent } = await countAbsent(tx, target);
    const share = live === 0 ? 0 : absent / live;
    const withinGuard = share <= deps.maxShare;
    if (options.dryRun) return { state: 'dry_run', runId, live, absent, share, maxShare: deps.maxShare, wouldApply: withinGuard || Boolean(options.confirm) };
    if (!withinGuard && !options.confirm) {
      await recordReconcileHeld(tx, runId, { state: 'pending', live, absent, share, maxShare: deps.maxShare, at: systemClock().toISOString() });
      return { state: 'pending', runId, live, absent, share, maxShare: deps.maxShare };
    }
    const takenDown = await takeDownAbsent(tx, target);
    // Each absence the full feed implies is a change the run states, and one it took down
    // (docs/design.md invariant 10): the run finishes again with them counted.
    const [finished] = await finishRuns(tx, [{
      runId, counts: { rows: run.rows + takenDown, inserted: run.inserted, updated: run.updated, takenDown: run.takenDown + takenDown, unchanged: run.unchanged, quarantined: run.quarantined },
      meta: { reconcile: { state: 'applied', live, absent, takenDown, share, confirmed: Boolean(options.confirm), at: systemClock().toISOString() } },
    }]);
    if (finished) logRunFinish(log, finished);
    return { state: 'applied', runId, live, absent, takenDown, share, confirmed: Boolean(options.confirm) };
  });

  const feed = feedLabel(run);
  if (outcome.state === 'pending') {
    log.warn({ live: outcome.live, absent: outcome.absent, share: outcome.share }, 'reconcile held: share over the guard');
    await deps.alerter.raise({
      subject: alertSubject.reconcile(runId),
      kind: 'reconcile',
      state: 'breach',
      message: `full feed ${feed} (run ${runId}) would take down ${outcome.absent} of ${outcome.live} live items (${pct(outcome.share)} > ${pct(outcome.maxShare)}): nothing taken down; check the feed, then run \`feedline reconcile ${runId} --confirm\``,
      details: { runId, source: run.source, entity: run.entity, country: run.country, feedDate: run.feedDate, live: outcome.live, absent: outcome.absent, share: outcome.share, maxShare: outcome.maxShare },
    });
  } else if (outcome.state === 'applied') {
    log.info({ takenDown: outcome.takenDown, live: outcome.live, confirmed: outcome.confirmed }, 'full feed reconciled');
    await deps.alerter.resolve(alertSubject.reconcile(runId), `full feed ${feed} (run ${runId}) reconciled: ${outcome.takenDown} taken down`);
  }
  return outcome;
}

function pct(share: number): string {
  return `${(share * 100).toFixed(2)}%`;
}
