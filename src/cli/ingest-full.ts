// `feedline ingest` of a full feed applies it but does not take anything down: an operator
// ingesting by hand decides (README "Full feeds by hand"). What it does is say how many live
// items the feed no longer lists, and the exact command that takes them down.
import { reconcileRun } from '../feeds/reconcile.js';
import type { Run } from '../db/runs.js';
import type { Runtime } from './runtime.js';
import { pullDeps } from './feed-commands.js';

export interface FullFeedReport {
  /** Live items of this source, entity and country that the feed does not list. */
  absentLive: number;
  live: number;
  /** Takes them down (audit reason absent_from_full_feed); empty when there is nothing to do. */
  command: string | null;
}

export async function reportAbsent(runtime: Runtime, run: Run): Promise<FullFeedReport | undefined> {
  if (run.kind !== 'full' || run.status !== 'applied') return undefined;
  const outcome = await reconcileRun({ db: runtime.db, logger: runtime.logger, alerter: pullDeps(runtime).alerter, maxShare: runtime.config.provider.reconcileMaxShare }, run.id, { dryRun: true });
  if (outcome.state !== 'dry_run') return undefined;
  return { absentLive: outcome.absent, live: outcome.live, command: outcome.absent > 0 ? `feedline reconcile ${run.id} --confirm` : null };
}

export function describeAbsent(r: FullFeedReport): string {
  return r.absentLive === 0
    ? `full feed: every live item is listed; nothing to reconcile`
    : `full feed: ${r.absentLive} of ${r.live} live items are not listed and stay live; to take them down: ${r.command}`;
}
