import { playsReport, type PlayReportRow } from '../db/plays.js';
import { UsageError } from '../errors.js';
import { dateFlag, oneOf, parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { toCsv } from './report.js';
import { openRuntime } from './runtime.js';

const COLUMNS: (keyof PlayReportRow & string)[] = ['source', 'trackId', 'country', 'plays', 'forwarded', 'rejected', 'pending', 'firstPlayedAt', 'lastPlayedAt', 'firstLoggedAt', 'lastLoggedAt', 'lastForwardedAt'];
const DAY_MS = 86_400_000;

export const playsCommand: Command = {
  name: 'plays',
  summary: 'Report the play log per track and country (label reporting)',
  help: `Usage: feedline plays report --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|json]

Plays posted to the gate (POST /v1/plays) whose play time falls from --from to --to
(inclusive, UTC), per source, track and country: how many, how many the provider accepted
(forwarded), refused (rejected, kept with the reason) or has not had yet (pending), the first
and last play times, when they were logged (received by us) and when last forwarded.
  --format csv   (default) ${COLUMNS.join(',')}
  --format json  { from, to, tracks: [...] } with the same fields`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('plays', argv, { from: { type: 'string' }, to: { type: 'string' }, format: { type: 'string' } }, { min: 1, max: 1 });
    if (values.help) return printHelp(ctx, this.help);
    if (positionals[0] !== 'report') throw new UsageError(`plays: unknown subcommand ${JSON.stringify(positionals[0])}; expected "plays report"`);
    const from = dateFlag('from', values.from);
    const to = dateFlag('to', values.to);
    if (!from || !to) throw new UsageError('plays report: --from and --to are required');
    if (to < from) throw new UsageError('plays report: --to is before --from');
    const format = oneOf('format', values.format, ['csv', 'json'] as const) ?? 'csv';
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const rows = await playsReport(runtime.db.orm, new Date(`${from}T00:00:00Z`), new Date(Date.parse(`${to}T00:00:00Z`) + DAY_MS));
      if (format === 'json') ctx.out.json({ from, to, tracks: rows });
      else ctx.out.line(toCsv(rows, COLUMNS));
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
