import { openAlerts } from '../db/sla.js';
import { UsageError } from '../errors.js';
import { alertSubject } from '../sla/subjects.js';
import { formatDuration, slaSnapshot } from '../sla/deadlines.js';
import { alertJson } from './alerts.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp, table } from './output.js';
import { openRuntime } from './runtime.js';
import { systemClock } from '../clock.js';

/** `feedline sla` exit codes beyond the common ones (README "Exit codes"). */
export const SLA_EXIT = { ok: 0, breach: 8, warning: 9, acknowledged: 10 } as const;

export const slaCommand: Command = {
  name: 'sla',
  summary: 'What is pending, how close to its deadline, open alerts; exit code for monitoring',
  help: `Usage: feedline sla [--json] [--at ISO-TIME]

Every run not yet applied (parsing, applying, or with failed batches) with its pending
changes by action, its publication time, its deadline (publication + FEEDLINE_SLA_HOURS) and
the time left; then the open alerts (SLA, missing feeds, rejected files, failed batches,
quarantine, authentication, reconciliation, backlog).

Options:
  --json          one JSON object: { at, state, exitCode, windowHours, warningHours,
                  oldestPendingAgeSeconds, nearestDeadlineSeconds, pending, runs, alerts }
  --at ISO-TIME   evaluate as of this time instead of now

Exit codes: 0 nothing past its warning threshold and no open alert;
8 breach: a pending run is past its deadline, or an unacknowledged alert is open in state breach;
9 warning: a run is past FEEDLINE_SLA_WARNING_HOURS or an unacknowledged warning alert is open;
10 acknowledged only: alerts are open but every one is acknowledged (feedline alerts ack)
and no pending run is past a threshold without one (8 wins over 9, 9 over 10);
2 usage; 5 database unreachable.`,
  async run(argv, ctx) {
    const { values } = parseCommand('sla', argv, { json: { type: 'boolean' }, at: { type: 'string' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const now = values.at === undefined ? systemClock() : new Date(values.at);
    if (Number.isNaN(now.getTime())) throw new UsageError('--at must be an ISO 8601 time');
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const snapshot = await slaSnapshot(runtime.db, ctx.config.sla, now);
      const alerts = await openAlerts(runtime.db.orm);
      // A run past a threshold counts as acknowledged only when its own alert is.
      const acked = new Set(alerts.filter((a) => a.acknowledged).map((a) => a.subject));
      const unackedRuns = snapshot.runs.filter((r) => !acked.has(alertSubject.runSla(r.id)));
      const unacked = alerts.filter((a) => !a.acknowledged);
      const breach = unackedRuns.some((r) => r.state === 'breach') || unacked.some((a) => a.state === 'breach');
      const warning = unackedRuns.some((r) => r.state === 'warning') || unacked.some((a) => a.state === 'warning');
      const state = breach ? 'breach' : warning ? 'warning' : alerts.length > 0 ? 'acknowledged' : 'ok';
      const exitCode = SLA_EXIT[state];
      if (values.json) {
        ctx.out.json({
          at: now.toISOString(), state, exitCode,
          windowHours: snapshot.windowHours, warningHours: snapshot.warningHours,
          oldestPendingAgeSeconds: snapshot.oldestPendingAgeSeconds, nearestDeadlineSeconds: snapshot.nearestDeadlineSeconds,
          pending: snapshot.pending,
          runs: snapshot.runs.map((r) => ({
            runId: r.id, source: r.source, entity: r.entity, kind: r.kind, country: r.country, feedDate: r.feedDate, file: r.fileName,
            status: r.status, state: r.state, publishedAt: r.publishedAt.toISOString(), deadline: r.deadline.toISOString(),
            secondsToDeadline: r.secondsToDeadline, ageSeconds: r.ageSeconds,
            pending: { insert: r.pendingInserts, update: r.pendingUpdates, delete: r.pendingDeletes },
            batches: { applied: r.batchesApplied, total: r.batchesTotal, failed: r.failedBatches },
          })),
          alerts: alerts.map(alertJson),
        });
        return exitCode;
      }
      if (snapshot.runs.length === 0) ctx.out.line('Nothing pending: every run received is applied.');
      else {
        ctx.out.line(table(snapshot.runs.map((r) => ({
          run: r.id, feed: `${r.country} ${r.entity} ${r.kind} ${r.feedDate}`, status: r.status, sla: r.state,
          'pending I/U/D': `${r.pendingInserts}/${r.pendingUpdates}/${r.pendingDeletes}`,
          published: r.publishedAt.toISOString().slice(0, 16).replace('T', ' '),
          deadline: r.deadline.toISOString().slice(0, 16).replace('T', ' '),
          left: formatDuration(r.secondsToDeadline),
        })), ['run', 'feed', 'status', 'sla', 'pending I/U/D', 'published', 'deadline', 'left']));
      }
      if (alerts.length > 0) {
        ctx.out.line('\nOpen alerts:');
        ctx.out.line(table(alerts.map((a) => ({ state: a.state, kind: a.kind, since: a.openedAt.toISOString().slice(0, 16).replace('T', ' '), acknowledged: a.acknowledged?.by ?? 'no', message: a.message })), ['state', 'kind', 'since', 'acknowledged', 'message']));
      }
      ctx.out.line(`\noverall: ${state} (exit ${exitCode}); window ${snapshot.windowHours} h, warning at ${snapshot.warningHours} h`);
      return exitCode;
    } finally {
      await runtime.close();
    }
  },
};
