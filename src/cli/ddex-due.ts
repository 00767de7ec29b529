import { applyDueScheduledChanges } from '../db/ddex.js';
import { UsageError } from '../errors.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';

export const ddexDueCommand: Command = {
  name: 'ddex-due',
  summary: 'Apply DDEX deal ends and starts that have come due (serve does this every 30 s)',
  help: `Usage: feedline ddex-due [--at ISO] [--json]

A DDEX deal whose end (or start) is in the future schedules the change for that moment.
This applies every scheduled change due now (the database's clock, or --at), each only if
no newer message has rewritten its item since. A takedown gets an audit row whose SLA clock
starts at the due time. \`feedline serve\` (scheduler role) runs this every 30 seconds.`,
  async run(argv, ctx) {
    const { values } = parseCommand('ddex-due', argv, { at: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const at = values.at === undefined ? undefined : new Date(values.at);
    if (at && Number.isNaN(at.getTime())) throw new UsageError('--at must be an ISO 8601 time');
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const result = await applyDueScheduledChanges(runtime.db.orm, at);
      if (values.json) ctx.out.json(result);
      else ctx.out.line(`${result.applied} scheduled change(s) applied (${result.takenDown} takedown(s)), ${result.superseded} superseded by newer messages`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
