import type { RunCounts } from '../catalogue/run-counts.js';
import { runsApplied, takedownsApplied, type AppliedRun, type TakedownRecord } from '../db/sla.js';
import { UsageError } from '../errors.js';
import { slaLatencySeconds, withinWindow } from '../sla/deadlines.js';
import type { Config } from '../config/schema.js';
import { dateFlag, oneOf, parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';
import { systemClock } from '../clock.js';

/** A takedown as the report shows it: times as ISO text, with its latency judged against the window. */
export interface TakedownEvidence extends Omit<TakedownRecord, 'publishedAt' | 'receivedAt' | 'appliedAt' | 'senderToldAt'> {
  publishedAt: string | null;
  receivedAt: string | null;
  appliedAt: string;
  senderToldAt: string | null;
  latencySeconds: number | null;
  withinWindow: boolean | null;
}

export interface FeedSummary extends RunCounts {
  source: string;
  entity: string;
  kind: string;
  country: string;
  runs: number;
  feedDates: string;
  maxLatencySeconds: number;
  meanLatencySeconds: number;
  runsWithinWindow: number;
  runsLate: number;
}

export interface ComplianceReport {
  from: string;
  to: string;
  country: string | null;
  windowHours: number;
  generatedAt: string;
  takedowns: TakedownEvidence[];
  feeds: FeedSummary[];
}

type SlaWindow = Pick<Config['sla'], 'windowHours'>;

export function takedownEvidence(t: TakedownRecord, sla: SlaWindow): TakedownEvidence {
  const latency = slaLatencySeconds(t.publishedAt, t.appliedAt);
  return {
    entity: t.entity, itemId: t.itemId, source: t.source, country: t.country, reason: t.reason, runId: t.runId, feed: t.feed,
    feedDate: t.feedDate, line: t.line, publishedAt: t.publishedAt?.toISOString() ?? null, receivedAt: t.receivedAt?.toISOString() ?? null,
    appliedAt: t.appliedAt.toISOString(), senderToldAt: t.senderToldAt ? new Date(t.senderToldAt).toISOString() : null, latencySeconds: latency === null ? null : Math.round(latency * 1000) / 1000,
    withinWindow: latency === null ? null : withinWindow(latency, sla),
  };
}

export function feedSummaries(runs: AppliedRun[], sla: SlaWindow): FeedSummary[] {
  const byFeed = new Map<string, { summary: FeedSummary; dates: Set<string>; latencies: number[] }>();
  for (const run of runs) {
    const key = [run.source, run.entity, run.kind, run.country].join('|');
    let entry = byFeed.get(key);
    if (!entry) {
      entry = {
        summary: { source: run.source, entity: run.entity, kind: run.kind, country: run.country, runs: 0, feedDates: '', rows: 0, inserted: 0, updated: 0, takenDown: 0, unchanged: 0, quarantined: 0, maxLatencySeconds: 0, meanLatencySeconds: 0, runsWithinWindow: 0, runsLate: 0 },
        dates: new Set(), latencies: [],
      };
      byFeed.set(key, entry);
    }
    const s = entry.summary;
    const latency = slaLatencySeconds(run.publishedAt, run.appliedAt)!;
    s.runs++;
    s.rows += run.rows;
    s.inserted += run.inserted;
    s.updated += run.updated;
    s.takenDown += run.takenDown;
    s.unchanged += run.unchanged;
    s.quarantined += run.quarantined;
    if (withinWindow(latency, sla)) s.runsWithinWindow++;
    else s.runsLate++;
    entry.dates.add(run.feedDate);
    entry.latencies.push(latency);
  }
  return [...byFeed.values()].map(({ summary, dates, latencies }) => ({
    ...summary,
    feedDates: [...dates].sort().join(' '),
    maxLatencySeconds: Math.round(Math.max(...latencies)),
    meanLatencySeconds: Math.round(latencies.reduce((a, b) => a + b, 0) / latencies.length),
  }));
}

function csvCell(value: unknown): string {
  const text = value === null || value === undefined ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function toCsv<T extends object>(rows: T[], columns: (keyof T & string)[]): string {
  return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n');
}

const TAKEDOWN_COLUMNS: (keyof TakedownEvidence & string)[] = ['entity', 'itemId', 'source', 'country', 'reason', 'runId', 'feed', 'feedDate', 'line', 'publishedAt', 'receivedAt', 'appliedAt', 'latencySeconds', 'withinWindow', 'senderToldAt'];
const FEED_COLUMNS: (keyof FeedSummary & string)[] = ['source', 'entity', 'kind', 'country', 'runs', 'feedDates', 'rows', 'inserted', 'updated', 'takenDown', 'unchanged', 'quarantined', 'maxLatencySeconds', 'meanLatencySeconds', 'runsWithinWindow', 'runsLate'];

export const reportCommand: Command = {
  name: 'report',
  summary: 'Compliance evidence: every takedown applied, with its latency, and a summary per feed',
  help: `Usage: feedline report --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|json] [--country CC]

Compliance evidence for labels (docs/feeds.md, rule 4), for what was applied between --from 00:00
and the end of --to (UTC, inclusive):

  takedowns  every takedown applied: entity, itemId, source, country, reason, runId, feed (file),
             feedDate, line, publishedAt (the provider published the feed: the SLA clock starts),
             receivedAt (we registered the file), appliedAt, latencySeconds (published to
             applied) and withinWindow (latency <= FEEDLINE_SLA_HOURS; empty when the takedown has
             no publication time, e.g. a full-feed reconciliation), senderToldAt (a DDEX
             takedown: when its acknowledgement was written back to the sender)
  feeds      per feed (source, entity, kind, country): runs applied, feed dates, rows, inserted,
             updated, takenDown, unchanged, quarantined, max and mean latency, runs within the
             window and late

Options:
  --format csv   (default) the takedowns table, a blank line, then the feeds table
  --format json  { from, to, country, windowHours, generatedAt, takedowns: [...], feeds: [...] }
  --country CC   only this country

Exit codes: 0 (the report is printed even when some takedowns were late: read withinWindow);
2 usage; 5 database unreachable.`,
  async run(argv, ctx) {
    const { values } = parseCommand('report', argv, {
      from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' }, country: { type: 'string' },
    }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const from = dateFlag('from', values.from);
    const to = dateFlag('to', values.to);
    if (!from || !to) throw new UsageError('report: --from and --to are required; see feedline report --help');
    if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
    const format = oneOf('format', values.format, ['csv', 'json'] as const) ?? 'csv';
    const country = values.country?.toUpperCase();
    if (country !== undefined && !/^[A-Z]{2}$/.test(country)) throw new UsageError('--country must be an ISO 3166 alpha-2 code such as GB');
    const range = { from: new Date(`${from}T00:00:00Z`), to: new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000), country };
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      // The evidence reads in the order things happened.
      const takedowns = (await takedownsApplied(runtime.db.orm, range)).reverse().map((t) => takedownEvidence(t, ctx.config.sla));
      const feeds = feedSummaries(await runsApplied(runtime.db.orm, range), ctx.config.sla);
      const report: ComplianceReport = {
        from, to, country: country ?? null, windowHours: ctx.config.sla.windowHours, generatedAt: systemClock().toISOString(), takedowns, feeds,
      };
      if (format === 'json') ctx.out.json(report);
      else ctx.out.line(`${toCsv(takedowns, TAKEDOWN_COLUMNS)}\n\n${toCsv(feeds, FEED_COLUMNS)}`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
