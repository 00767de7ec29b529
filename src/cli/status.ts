import { UsageError } from '../errors.js';
import { feedStatuses } from '../feeds/status.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp, table } from './output.js';
import { openRuntime } from './runtime.js';
import { systemClock } from '../clock.js';

export const statusCommand: Command = {
  name: 'status',
  summary: 'Where every configured feed stands; exit code for monitoring',
  help: `Usage: feedline status [--json] [--at ISO-TIME]

Per configured feed (FEEDLINE_FEEDS x FEEDLINE_COUNTRIES): the last applied date, lag in days,
the dates due and not yet applied, dates given up as missing, the last failure, runs in
progress and the next due date.

A feed is
  current   nothing overdue (today's feed may still be inside its give-up window)
  behind    a due date is not applied FEEDLINE_GIVE_UP_HOURS after publication, or the backlog
            is over FEEDLINE_MAX_BACKLOG_DAYS (catch up with feedline replay)
  missing   a date was given up as missing (recover it with feedline fetch)
  failing   the last attempt at a due date failed (auth, HTTP error, rejected file)

Options:
  --json          one JSON object: { at, state, exitCode, feeds: [...] }
  --at ISO-TIME   evaluate as of this time instead of now

Exit codes: 0 every feed current; 6 a feed is behind; 7 a feed is failing or missing
(7 wins over 6); 2 usage; 5 database unreachable.`,
  async run(argv, ctx) {
    const { values } = parseCommand('status', argv, { json: { type: 'boolean' }, at: { type: 'string' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const now = values.at === undefined ? systemClock() : new Date(values.at);
    if (Number.isNaN(now.getTime())) throw new UsageError('--at must be an ISO 8601 time');
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const report = await feedStatuses({ config: ctx.config, db: runtime.db }, now);
      if (values.json) ctx.out.json(report);
      else {
        ctx.out.line(table(report.feeds.map((f) => ({
          feed: `${f.entity}/${f.kind}`,
          country: f.country,
          state: f.state,
          applied: f.lastAppliedDate,
          lag: f.lagDays,
          pending: f.pending.length > 3 ? `${f.pending.length} days from ${f.pending[0]}` : f.pending.join(' '),
          missing: f.missing.join(' '),
          // The reason in words comes first in every fetch error; long URLs after it are cut, not the reason.
          failing: f.failing ? `${f.failing.date}: ${(f.failing.error ?? '').split('; http')[0]}` : '',
          next: f.nextDue,
        })), ['feed', 'country', 'state', 'applied', 'lag', 'pending', 'missing', 'failing', 'next']));
        ctx.out.line(`overall: ${report.state} (exit ${report.exitCode})`);
      }
      return report.exitCode;
    } finally {
      await runtime.close();
    }
  },
};
