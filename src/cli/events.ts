// `feedline events`: the Catalogue Events inbox for operators (README "Catalogue Events").
import { eventsReceivedBetween, reopenEvents } from '../db/events.js';
import { eventSummary, rejectedEvents } from '../db/events-report.js';
import { UsageError } from '../errors.js';
import { applyEvents } from '../events/dispatch.js';
import { importEvents } from '../events/import.js';
import { parseCommand } from './args.js';
import type { Command, CommandContext } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';
import { systemClock } from '../clock.js';

/** `feedline events` exit codes beyond the common ones (README "Exit codes"). */
export const EVENTS_EXIT = { lagging: 6, rejected: 7 } as const;
/** An event open longer than this is stuck: it should have been applied within seconds. */
const STUCK_SECONDS = 300;

export const eventsCommand: Command = {
  name: 'events',
  summary: 'Catalogue Events: received, applied, stale, rejected, lag; replay; import redriven events',
  help: `Usage: feedline events [--since ISO|24h] [--json]
       feedline events replay --from ISO [--to ISO] [--json]
       feedline events import FILE|DIR [--json]

feedline events: counts of the events received since --since (default 24h ago): applied, stale
(an older version arriving after a newer one: nothing changed), rejected (400, with reasons),
test events, pending and waiting ones, bodies flagged as conflicting (a different body under a
version already stored), and the lag from receipt to apply (p50, p95, max).

replay: re-applies the events received in [--from, --to) through the version guard, in the order
they were received: what is older than the catalogue changes nothing (counted stale).

import: stores events the provider redrives as files (one JSON body per .json file, or JSON
lines; a directory takes its *.json, *.jsonl and *.ndjson in name order) exactly as if received
now, then applies them. A line that is not an event is recorded as rejected with file and line.

Exit codes: 0 ok; 3 import: some line was rejected; 6 an event has been open over 5 minutes
(apply is stuck or behind); 7 events were rejected in the window.`,
  async run(argv, ctx) {
    const [sub] = argv;
    if (sub === 'replay') return replay(argv.slice(1), ctx);
    if (sub === 'import') return importCommand(argv.slice(1), ctx);
    const { values } = parseCommand('events', argv, { since: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const since = instantFlag('since', values.since) ?? new Date(systemClock().getTime() - 24 * 3600_000);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const summary = await eventSummary(runtime.db.orm, since);
      const rejected = await rejectedEvents(runtime.db.orm, since, 20);
      if (values.json) ctx.out.json({ ...summary, rejectedEvents: rejected });
      else {
        const lag = summary.lagSeconds;
        ctx.out.line(`since ${summary.since}: ${summary.received} received, ${summary.applied} applied, ${summary.stale} stale, ${summary.rejected} rejected, ${summary.test} test, ${summary.pending} pending, ${summary.waiting} waiting, ${summary.conflicting} conflicting`);
        ctx.out.line(`lag receipt->apply: p50 ${seconds(lag.p50)}, p95 ${seconds(lag.p95)}, max ${seconds(lag.max)}; oldest open ${seconds(summary.oldestOpenSeconds)}`);
        for (const r of rejected) ctx.out.line(`  rejected #${r.id} ${r.endpoint} ${r.receivedAt.toISOString()}: ${r.reason}`);
      }
      if ((summary.oldestOpenSeconds ?? 0) > STUCK_SECONDS) return EVENTS_EXIT.lagging;
      return summary.rejected > 0 ? EVENTS_EXIT.rejected : 0;
    } finally {
      await runtime.close();
    }
  },
};

async function replay(argv: string[], ctx: CommandContext): Promise<number> {
  const { values } = parseCommand('events replay', argv, { from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
  if (values.help) return printHelp(ctx, eventsCommand.help);
  const from = instantFlag('from', values.from);
  if (!from) throw new UsageError('events replay: --from is required');
  const to = instantFlag('to', values.to) ?? systemClock();
  const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
  try {
    const ids = await eventsReceivedBetween(runtime.db.orm, from, to);
    await reopenEvents(runtime.db.orm, ids);
    const tally = await applyEvents(runtime.db, ids, { source: ctx.config.source, enhancedWaitSeconds: ctx.config.events.enhancedWaitSeconds }, ctx.logger);
    if (values.json) ctx.out.json({ from: from.toISOString(), to: to.toISOString(), events: ids.length, ...tally });
    else ctx.out.line(`replayed ${ids.length} events received ${from.toISOString()} to ${to.toISOString()}: ${tally.applied} applied, ${tally.stale} stale, ${tally.waiting} waiting, ${tally.rejected} rejected`);
    return 0;
  } finally {
    await runtime.close();
  }
}

async function importCommand(argv: string[], ctx: CommandContext): Promise<number> {
  const { values, positionals } = parseCommand('events import', argv, { json: { type: 'boolean' } }, { min: 1, max: 1 });
  if (values.help) return printHelp(ctx, eventsCommand.help);
  const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
  try {
    const report = await importEvents(runtime.db, positionals[0]!, ctx.config.source);
    const tally = await applyEvents(runtime.db, report.stored, { source: ctx.config.source, enhancedWaitSeconds: ctx.config.events.enhancedWaitSeconds }, ctx.logger);
    const result = { files: report.files, stored: report.stored.length, duplicates: report.duplicates, tests: report.tests, ...tally, rejected: report.rejected, rejectedOnApply: tally.rejected };
    if (values.json) ctx.out.json(result);
    else {
      ctx.out.line(`${report.files} file(s): ${result.stored} stored (${tally.applied} applied, ${tally.stale} stale, ${tally.waiting} waiting), ${result.duplicates} duplicates, ${result.tests} test events, ${report.rejected.length} rejected`);
      for (const r of report.rejected) ctx.out.line(`  rejected: ${r.reason}`);
    }
    return report.rejected.length > 0 ? 3 : 0;
  } finally {
    await runtime.close();
  }
}

/** An ISO instant, or a duration back from now (`90m`, `24h`, `7d`). */
function instantFlag(name: string, value: string | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ago = /^(\d+)([mhd])$/.exec(value);
  if (ago) return new Date(systemClock().getTime() - Number(ago[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[ago[2] as 'm' | 'h' | 'd']);
  const at = Date.parse(value);
  if (Number.isNaN(at)) throw new UsageError(`--${name} must be an ISO date-time or a duration such as 24h, not ${JSON.stringify(value)}`);
  return new Date(at);
}

function seconds(value: number | null): string {
  return value === null ? '-' : `${value.toFixed(value < 10 ? 2 : 0)} s`;
}
