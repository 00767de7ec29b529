import { ENTITIES, FEED_KINDS } from '../config/schema.js';
import { ExitCode, NotFoundError, UsageError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import { fetchUrl } from '../feeds/fetch.js';
import path from 'node:path';
import { ingestFeed, waitForRun } from '../ingest/ingest.js';
import { alertLateRuns } from '../sla/late.js';
import { ingestDdexBatch } from '../ingest/ddex-batch.js';
import { readdir, stat } from 'node:fs/promises';
import type { Run } from '../db/runs.js';
import { dateFlag, oneOf, parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp, progressBar } from './output.js';
import { openRuntime } from './runtime.js';
import { pullDeps, slaContext } from './feed-commands.js';
import { describeAbsent, reportAbsent } from './ingest-full.js';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Apply one feed file (path or URL) and wait until it is live',
  help: `Usage: feedline ingest <path|url|dir> [options]

Archives the file by content hash, checks it is a whole feed, parses it into batches and
applies them (through the queue when REDIS_URL is set, in this process otherwise). Entity,
kind, country and date come from the conventional name GB_track_updates_20261120.csv.gz
unless given.

A DDEX ERN message (XML, or gzip of it, told by its content) is applied in this process,
release by release, as one run; --entity, --kind, --country and --date do not apply to it.
A directory is a DDEX batch: ingested only when its BatchComplete_*.xml marker is present,
message by message in MessageCreatedDateTime order, each message once (by content hash).
CSV files are ingested one at a time (a folder of them is refused, with the loop to run).

A full feed is applied but nothing is taken down here: the summary (and "reconcile" in
--json) says how many live items it does not list, with the feedline reconcile command
that takes them down. serve, fetch and replay reconcile themselves, behind the guard.

Options:
  --entity track|release|artist
  --kind full|updates
  --country CC             ISO 3166 alpha-2, e.g. GB
  --date YYYY-MM-DD        the feed's date
  --published-at ISO       when the provider published it (default: date at FEEDLINE_PUBLICATION_HOUR)
  --source NAME            the provider (default: FEEDLINE_SOURCE)
  --force                  re-apply content ingested before (the version guard still applies)
  --no-wait                return once the batches are queued
  --json                   print one JSON object instead of a summary

Exit codes: 0 applied, queued or duplicate; 1 the run failed (its records do not add up);
3 feed rejected (also a file whose name and flags do not say what feed it is); 2 usage;
4 file not found; 5 database or Redis unreachable.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('ingest', argv, {
      entity: { type: 'string' }, kind: { type: 'string' }, country: { type: 'string' }, date: { type: 'string' },
      'published-at': { type: 'string' }, source: { type: 'string' }, force: { type: 'boolean' },
      'no-wait': { type: 'boolean' }, json: { type: 'boolean' },
    }, { min: 1, max: 1 });
    if (values.help) return printHelp(ctx, this.help);
    const publishedAt = values['published-at'] === undefined ? undefined : new Date(values['published-at']);
    if (publishedAt && Number.isNaN(publishedAt.getTime())) throw new UsageError('--published-at must be an ISO 8601 time');
    const feed = {
      entity: oneOf('entity', values.entity, ENTITIES),
      kind: oneOf('kind', values.kind, FEED_KINDS),
      country: values.country?.toUpperCase(),
      date: dateFlag('date', values.date),
    };
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'if-configured' });
    const bar = progressBar(!values.json);
    try {
      // The alerter raises at once what the parse finds (possible takedowns).
      const ingestCtx = { ...pullDeps(runtime), onProgress: bar.update };
      if ((await stat(positionals[0]!).catch(() => undefined))?.isDirectory()) {
        await refuseCsvFolder(positionals[0]!);
        const messages = await ingestDdexBatch(ingestCtx, positionals[0]!, { source: values.source, publishedAt, force: values.force });
        bar.stop();
        const summaries = messages.map((m) => ({
          ...summarise(m.outcome.run, m.outcome.status === 'queued' ? m.outcome.run.status : m.outcome.status),
          ack: m.ack?.ackPath ?? null,
        }));
        if (values.json) ctx.out.json({ batch: positionals[0], messages: summaries });
        else for (const [i, s] of summaries.entries()) ctx.out.line(describe(s, messages[i]!.outcome.status === 'rejected' ? (messages[i]!.outcome as { reason: string }).reason : undefined));
        return summaries.some((s) => s.status === 'rejected') ? ExitCode.feedRejected : ExitCode.ok;
      }
      const outcome = await ingestFeed(ingestCtx, {
        ...(await localInput(runtime, positionals[0]!)), feed, source: values.source, publishedAt, force: values.force,
      });
      let run = outcome.run;
      if (outcome.status === 'queued' && !values['no-wait']) run = await waitForRun(ingestCtx, run.id);
      bar.stop();
      // No sweep may follow this command: a run it applied late is a breach on record now.
      if (run.status === 'applied') await alertLateRuns(slaContext(ingestCtx));
      const status = outcome.status === 'queued' ? run.status : outcome.status;
      const summary = summarise(run, status);
      const fullFeed = await reportAbsent(runtime, run);
      if (values.json) ctx.out.json(fullFeed ? { ...summary, reconcile: fullFeed } : summary);
      else {
        ctx.out.line(describe(summary, outcome.status === 'rejected' ? outcome.reason : undefined));
        if (fullFeed) ctx.out.line(describeAbsent(fullFeed));
      }
      return status === 'rejected' ? ExitCode.feedRejected : status === 'failed' ? ExitCode.unexpected : ExitCode.ok;
    } finally {
      bar.stop();
      await runtime.close();
    }
  },
};

/**
 * A URL is downloaded as the scheduler downloads feeds (src/feeds/fetch.ts: https unless
 * FEEDLINE_ALLOW_HTTP, timeouts, retries); the run keeps the URL's file name.
 */
async function localInput(runtime: Awaited<ReturnType<typeof openRuntime>>, input: string): Promise<{ input: string; fileName?: string }> {
  if (!/^https?:\/\//i.test(input)) return { input };
  const { config, db, logger } = runtime;
  const url = new URL(input);
  const fetched = await fetchUrl({ archive: openArchive(config, db), provider: config.provider, logger: logger.child({ url: `${url.host}${url.pathname}` }) }, input);
  // 404 says there is no such feed there: not found (4), like a missing path.
  if (fetched.outcome === 'not_published') throw new NotFoundError(`no feed at ${url.host}${url.pathname}: the server answered HTTP 404`);
  return { input: fetched.path, fileName: path.basename(url.pathname) };
}

/** Folders are DDEX batches; a folder of CSV files gets the command that does what was meant. */
async function refuseCsvFolder(dir: string): Promise<void> {
  const names = await readdir(dir);
  if (names.some((n) => /\.xml(\.gz)?$/i.test(n)) || !names.some((n) => /\.csv(\.gz)?$/i.test(n))) return;
  throw new UsageError(`${dir} is a folder of CSV files; a folder is read as a DDEX batch. Ingest CSV files one at a time, oldest date first: for f in ${dir.replace(/\/$/, '')}/*.csv.gz; do feedline ingest "$f" || break; done`);
}

function summarise(run: Run, status: string) {
  return {
    runId: run.id,
    status,
    ...(status === 'duplicate' ? { duplicateOf: run.id, duplicateStatus: run.status } : {}),
    file: run.fileName,
    sha256: run.fileSha256,
    entity: run.entity,
    kind: run.kind,
    country: run.country,
    feedDate: run.feedDate,
    rows: run.rows,
    inserted: run.inserted,
    updated: run.updated,
    takenDown: run.takenDown,
    unchanged: run.unchanged,
    quarantined: run.quarantined,
    batches: run.batchesTotal,
    error: run.error,
    seconds: run.appliedAt ? (run.appliedAt.getTime() - run.createdAt.getTime()) / 1000 : null,
  };
}

function describe(s: ReturnType<typeof summarise>, reason?: string): string {
  switch (s.status) {
    case 'duplicate':
      return `duplicate: ${s.file} has the same content as run ${s.duplicateOf} (${s.duplicateStatus}); nothing changed. Use --force to re-apply.`;
    case 'rejected':
      // The outcome's reason reads "FILE: rejected: WHY"; said once here.
      return `rejected: ${s.file}: ${(reason ?? s.error ?? 'no reason recorded').replace(/^.*?: rejected: /, '')} (run ${s.runId}; nothing applied)`;
    case 'failed':
      return `run ${s.runId} failed: ${s.error ?? 'no reason recorded'} (see: feedline quarantine ${s.runId})`;
    default:
      return `run ${s.runId} ${s.status}: ${s.rows} rows, ${s.inserted} inserted, ${s.updated} updated, ${s.takenDown} taken down, ${s.unchanged} unchanged, ${s.quarantined} quarantined${s.seconds === null ? '' : ` in ${s.seconds.toFixed(1)} s`}${s.quarantined > 0 ? ` (see: feedline quarantine ${s.runId})` : ''}`;
  }
}
