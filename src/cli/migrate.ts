import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Apply database migrations (every command also does this first)',
  help: `Usage: feedline migrate

Applies the committed migrations in schema/migrations to DATABASE_URL (or the embedded
database). Safe to run from several processes at once: one migrates, the others wait.`,
  async run(argv, ctx) {
    const { values } = parseCommand('migrate', argv, {}, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    await runtime.close();
    ctx.out.line(`migrations applied to ${runtime.db.where}`);
    return 0;
  },
};
