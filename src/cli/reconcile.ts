import { reconcileRun } from '../feeds/reconcile.js';
import { UsageError } from '../errors.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { pullDeps } from './feed-commands.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: 'Take down what an applied full feed no longer lists (after a guard held it)',
  help: `Usage: feedline reconcile <runId> [--confirm] [--json]

After a full feed is applied, every item of that source, entity and country that is live but
absent from the feed is taken down (audit reason absent_from_full_feed). When that would be
more than FEEDLINE_RECONCILE_MAX_SHARE of the live items, nothing is taken down and a
'reconcile' alert is raised: check the feed, then confirm here.

Without --confirm: show what would be taken down, change nothing.

Options:
  --confirm   apply it, whatever the share
  --json      print one JSON object

Exit codes: 0 done (or nothing to do); 4 no such run; 2 not an applied full feed, or usage.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('reconcile', argv, { confirm: { type: 'boolean' }, json: { type: 'boolean' } }, { min: 1, max: 1 });
    if (values.help) return printHelp(ctx, this.help);
    const runId = Number(positionals[0]);
    if (!Number.isInteger(runId) || runId <= 0) throw new UsageError(`runId must be a positive integer, not ${JSON.stringify(positionals[0])}`);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const deps = pullDeps(runtime);
      const outcome = await reconcileRun({ db: runtime.db, logger: ctx.logger, alerter: deps.alerter, maxShare: ctx.config.provider.reconcileMaxShare }, runId, { confirm: values.confirm, dryRun: !values.confirm });
      if (values.json) ctx.out.json(outcome);
      else if (outcome.state === 'dry_run') ctx.out.line(`run ${runId}: ${outcome.absent} of ${outcome.live} live items are absent from the full feed (${(outcome.share * 100).toFixed(2)}%, guard ${(outcome.maxShare * 100).toFixed(2)}%); nothing changed. Run again with --confirm to take them down.`);
      else if (outcome.state === 'applied') ctx.out.line(`run ${runId}: ${outcome.takenDown} items taken down (absent_from_full_feed)`);
      else if (outcome.state === 'already') ctx.out.line(`run ${runId}: already reconciled`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
