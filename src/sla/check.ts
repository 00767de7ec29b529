// One run's SLA clock checked against PostgreSQL: what the delayed timers and the sweep
// both do. Raising is idempotent (src/sla/alerts.ts), so a timer and a sweep checking the
// same run at the same moment send one alert.
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { runSla, type RunSla } from '../db/sla.js';
import type { Logger } from '../log.js';
import type { Alerter } from './alerts.js';
import { formatDuration, slaClock, slaLatencySeconds, slaState, withinWindow, type SlaState } from './deadlines.js';
import { alertSubject, feedLabel } from './subjects.js';

export interface SlaContext {
  db: Database;
  alerter: Alerter;
  sla: Config['sla'];
  logger: Logger;
  /** The clock the deadlines are measured on; injectable for tests. */
  now: () => Date;
}

/** Raises or resolves the run's SLA alert; returns the state the run is in. */
export async function checkRunSla(ctx: SlaContext, runId: number, pendingChanges?: number): Promise<SlaState | 'applied' | 'rejected' | 'gone'> {
  const run = await runSla(ctx.db.orm, runId);
  const subject = alertSubject.runSla(runId);
  if (!run) {
    await ctx.alerter.resolve(subject, `run ${runId} no longer exists`);
    return 'gone';
  }
  const clock = slaClock(run.publishedAt, ctx.sla);
  if (run.status === 'applied') {
    const latency = slaLatencySeconds(run.publishedAt, run.appliedAt ?? ctx.now())!;
    const late = run.appliedAt !== null && !withinWindow(latency, ctx.sla);
    await ctx.alerter.resolve(subject, `run ${runId} (${feedLabel(run)}) applied ${formatDuration(latency)} after publication${late ? `, ${formatDuration(latency - ctx.sla.windowHours * 3600)} past its deadline` : ', within the window'}`);
    return 'applied';
  }
  if (run.status === 'rejected') {
    // A rejected file applies nothing; its own `rejected` alert says so and stays open.
    await ctx.alerter.resolve(subject, `run ${runId} (${feedLabel(run)}) was rejected; see its rejected alert`);
    return 'rejected';
  }
  const now = ctx.now();
  const state = slaState(clock, now);
  if (state === 'ok') return state;
  const left = (clock.deadline.getTime() - now.getTime()) / 1000;
  const message = state === 'breach'
    ? `run ${runId} (${feedLabel(run)}) is not applied ${formatDuration(-left)} after its deadline ${clock.deadline.toISOString()}`
    : `run ${runId} (${feedLabel(run)}) is not applied; deadline ${clock.deadline.toISOString()} in ${formatDuration(left)}`;
  await ctx.alerter.raise({
    subject,
    kind: 'sla',
    state,
    message,
    details: {
      runId, feed: feedLabel(run), file: run.fileName, status: run.status,
      publishedAt: run.publishedAt.toISOString(), deadline: clock.deadline.toISOString(),
      ...(pendingChanges === undefined ? {} : { pendingChanges }),
    },
  });
  return state;
}
