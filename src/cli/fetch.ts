import { ExitCode, NotFoundError } from '../errors.js';
import { pullFeed } from '../feeds/pull.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { FEED_OPTIONS, feedFromFlags, pullDeps, requiredDate } from './feed-commands.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';

export const fetchCommand: Command = {
  name: 'fetch',
  summary: 'Fetch one feed from the provider now and apply it',
  help: `Usage: feedline fetch --entity E --kind K --country CC --date YYYY-MM-DD [--force] [--json]

Downloads {FEEDLINE_PROVIDER_BASE_URL}/feed/E/K?country=CC&date=YYYYMMDD over signed HTTPS into
the archive, then ingests it exactly as \`feedline ingest\` does and waits until it is applied.
Ignores the schedule and the cursor order (the cursor still moves only forward). A full feed
is reconciled afterwards (FEEDLINE_RECONCILE_MAX_SHARE guard).

Options:
  --force   re-apply content applied before (through the version guard)
  --json    print one JSON object

Exit codes: 0 applied (or the same content already applied); 4 not published (404);
3 feed rejected; 1 provider refused the credentials or kept failing; 2 usage; 5 unreachable.`,
  async run(argv, ctx) {
    const { values } = parseCommand('fetch', argv, { ...FEED_OPTIONS, date: { type: 'string' }, force: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const feed = feedFromFlags(values);
    const date = requiredDate('date', values.date);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'if-configured' });
    try {
      const result = await pullFeed(pullDeps(runtime), feed, date, { force: values.force });
      const summary = {
        ...feed, date, outcome: result.outcome,
        ...('run' in result && result.run ? { runId: result.run.id, status: result.run.status, rows: result.run.rows, inserted: result.run.inserted, updated: result.run.updated, takenDown: result.run.takenDown, quarantined: result.run.quarantined } : {}),
        ...('reconcile' in result && result.reconcile ? { reconcile: result.reconcile } : {}),
        ...('reason' in result ? { reason: result.reason } : {}),
        ...('error' in result ? { error: result.error } : {}),
      };
      if (result.outcome === 'not_published' || result.outcome === 'missing') {
        throw new NotFoundError(`${feed.entity}/${feed.kind} ${feed.country} ${date} is not published (HTTP 404)${result.outcome === 'missing' ? '; recorded as missing' : ''}`);
      }
      if (values.json) ctx.out.json(summary);
      else ctx.out.line(`${feed.entity}/${feed.kind} ${feed.country} ${date}: ${result.outcome}${'runId' in summary ? ` (run ${summary.runId}: ${summary.rows} rows, ${summary.inserted} inserted, ${summary.updated} updated, ${summary.takenDown} taken down)` : ''}${'reason' in summary ? `: ${summary.reason}` : ''}`);
      if (result.outcome === 'rejected') return ExitCode.feedRejected;
      if (result.outcome === 'failed' || result.outcome === 'interrupted') return ExitCode.unexpected;
      return ExitCode.ok;
    } finally {
      await runtime.close();
    }
  },
};
