import { SingleBar, Presets } from 'cli-progress';
import { reconcileRun } from '../feeds/reconcile.js';
import { openArchive } from '../archive/open.js';
import type { Config, FeedSpec } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { acceptedRunFiles } from '../db/run-lookups.js';
import { ExitCode, UsageError, coerceError } from '../errors.js';
import { addDays, isPublishedOn, latestPublishedDate, parseDayFields, publicationTime } from '../feeds/due.js';
import { pullFeed, type PullDeps } from '../feeds/pull.js';
import { conventionalName } from '../ingest/feed-name.js';
import { progressLog } from '../ingest/progress.js';
import { ingestFeed, waitForRun } from '../ingest/ingest.js';
import { dateFlag, parseCommand } from './args.js';
import type { Command } from './command.js';
import { FEED_OPTIONS, feedFromFlags, pullDeps, requiredDate, slaContext } from './feed-commands.js';
import { alertLateRuns } from '../sla/late.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';
import { systemClock } from '../clock.js';

interface DateResult {
  date: string;
  outcome: 'applied' | 'not_published' | 'rejected' | 'failed';
  from?: 'archive' | 'provider';
  runId?: number;
  rows?: number;
  inserted?: number;
  updated?: number;
  takenDown?: number;
  unchanged?: number;
  quarantined?: number;
  error?: string;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'Re-apply a feed over a range of dates, in date order, from the archive',
  help: `Usage: feedline replay --entity E --kind K --country CC --from YYYY-MM-DD [--to YYYY-MM-DD] [--json]

Re-applies the feed for every date from --from to --to (default: the latest published date), in
date order: from the raw archive when a copy is there, otherwise fetched from the provider.
Each file is applied as with \`ingest --force\`: through the version guard, so a replay never
undoes anything newer. Full feeds are only replayed on FEEDLINE_FULL_FEED_DAYS dates, and are
reconciled afterwards. The cursor moves forward as dates are applied: this is how an operator
catches up a backlog over FEEDLINE_MAX_BACKLOG_DAYS.

Options:
  --json   print one JSON object with a result per date

Exit codes: 0 every date applied or not published; 3 a file was rejected; 1 a date failed;
2 usage; 5 unreachable.`,
  async run(argv, ctx) {
    const { values } = parseCommand('replay', argv, { ...FEED_OPTIONS, from: { type: 'string' }, to: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const feed = feedFromFlags(values);
    const from = requiredDate('from', values.from);
    const to = dateFlag('to', values.to) ?? latestPublishedDate(systemClock(), ctx.config.publicationHour);
    if (to < from) throw new UsageError(`--to ${to} is before --from ${from}`);
    const fullDays = parseDayFields(ctx.config.provider.fullFeedDays);
    const dates: string[] = [];
    for (let d = from; d <= to && dates.length <= 3660; d = addDays(d, 1)) if (isPublishedOn(feed, d, fullDays)) dates.push(d);

    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'if-configured' });
    const bar = !values.json && process.stderr.isTTY
      ? new SingleBar({ stream: process.stderr, format: 'replay |{bar}| {value}/{total} dates | {date}', hideCursor: true }, Presets.shades_classic)
      : undefined;
    try {
      const deps = pullDeps(runtime);
      bar?.start(dates.length, 0, { date: '' });
      const results: DateResult[] = [];
      for (const date of dates) {
        bar?.update(results.length, { date });
        results.push(await replayDate(deps, feed, date));
      }
      // No sweep may follow this command: a run it applied late is a breach on record now.
      if (results.some((r) => r.outcome === 'applied')) await alertLateRuns(slaContext(deps));
      bar?.update(results.length, { date: 'done' });
      bar?.stop();
      if (values.json) ctx.out.json({ ...feed, from, to, results });
      else for (const r of results) ctx.out.line(`${r.date}: ${r.outcome}${r.from ? ` from ${r.from}` : ''}${r.runId ? ` (run ${r.runId}: ${r.rows} rows, ${r.inserted} inserted, ${r.updated} updated, ${r.takenDown} taken down, ${r.unchanged} unchanged, ${r.quarantined} quarantined)` : ''}${r.error ? `: ${r.error}` : ''}`);
      if (results.some((r) => r.outcome === 'failed')) return ExitCode.unexpected;
      if (results.some((r) => r.outcome === 'rejected')) return ExitCode.feedRejected;
      return ExitCode.ok;
    } finally {
      bar?.stop();
      await runtime.close();
    }
  },
};

async function replayDate(deps: PullDeps, feed: FeedSpec, date: string): Promise<DateResult> {
  const { config, db } = deps;
  try {
    const archived = await archivedCopy(db, config, feed, date);
    if (!archived) {
      const pulled = await pullFeed(deps, feed, date, { force: true });
      if (pulled.outcome === 'not_published' || pulled.outcome === 'missing') return { date, outcome: 'not_published', from: 'provider' };
      if (pulled.outcome === 'rejected') return { date, outcome: 'rejected', from: 'provider', runId: pulled.run.id, error: pulled.reason };
      if (pulled.outcome !== 'applied' && pulled.outcome !== 'duplicate') return { date, outcome: 'failed', from: 'provider', error: pulled.outcome };
      return applied(date, 'provider', pulled.run);
    }
    const ctx = { config, db, sink: deps.sink, timers: deps.timers, logger: deps.logger, onProgress: progressLog(deps.logger.child({ date })) };
    const ingested = await ingestFeed(ctx, {
      input: archived,
      fileName: conventionalName({ ...feed, date }),
      feed: { ...feed, date },
      source: config.source,
      publishedAt: publicationTime(date, config.publicationHour),
      force: true,
    });
    if (ingested.status === 'rejected') return { date, outcome: 'rejected', from: 'archive', runId: ingested.run.id, error: ingested.reason };
    const run = await waitForRun(ctx, ingested.run.id);
    if (run.status !== 'applied') return { date, outcome: 'failed', from: 'archive', runId: ingested.run.id, error: run.error ?? run.status };
    if (feed.kind === 'full') await reconcileRun({ db, logger: deps.logger, alerter: deps.alerter, maxShare: config.provider.reconcileMaxShare }, run.id);
    return applied(date, 'archive', run);
  } catch (err) {
    return { date, outcome: 'failed', error: coerceError(err).message };
  }
}

function applied(date: string, from: DateResult['from'], run: { id: number; rows: number; inserted: number; updated: number; takenDown: number; unchanged: number; quarantined: number }): DateResult {
  return { date, outcome: 'applied', from, runId: run.id, rows: run.rows, inserted: run.inserted, updated: run.updated, takenDown: run.takenDown, unchanged: run.unchanged, quarantined: run.quarantined };
}

/** A local copy of the archived file of the latest accepted run of this feed and date, if the archive still holds it. */
async function archivedCopy(db: Database, config: Config, feed: FeedSpec, date: string): Promise<string | undefined> {
  const archive = openArchive(config, db);
  for (const file of await acceptedRunFiles(db.orm, config.source, feed, date)) {
    if (await archive.has(file)) return archive.localCopy(file);
  }
  return undefined;
}
