import { startApplyWorker } from '../queue/worker.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { openRuntime } from './runtime.js';

export const workerCommand: Command = {
  name: 'worker',
  summary: 'Run apply workers: take batches from the queue and apply them',
  help: `Usage: feedline worker [--concurrency N]

Needs DATABASE_URL and REDIS_URL. Run as many processes as you like. On SIGTERM or SIGINT
it stops taking batches, finishes the ones in hand and exits 0.

Options:
  --concurrency N   batches applied at once by this process (default FEEDLINE_WORKER_CONCURRENCY)`,
  async run(argv, ctx) {
    const { values } = parseCommand('worker', argv, { concurrency: { type: 'string' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const concurrency = Number(values.concurrency ?? ctx.config.workerConcurrency);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'required', poolSize: concurrency + 1 });
    try {
      const worker = startApplyWorker(runtime.db, runtime.redis!, ctx.logger, { prefix: ctx.config.queuePrefix, concurrency });
      ctx.logger.info({ concurrency, database: runtime.db.where }, 'worker started');
      const signal = await ctx.stopping;
      ctx.logger.info({ signal }, 'worker stopping: finishing batches in hand');
      await worker.close();
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
