import { recoverRuns } from '../ingest/recover.js';
import { createApplyQueue } from '../queue/sink.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp } from './output.js';
import { batchSink, openRuntime } from './runtime.js';

export const recoverCommand: Command = {
  name: 'recover',
  summary: 'Re-enqueue unfinished work from PostgreSQL and the archive (workers also do this)',
  help: `Usage: feedline recover [--stale-seconds N] [--json]

Finds runs that PostgreSQL says are unfinished: batches the queue no longer has (Redis lost
or flushed) are re-parsed from the archived file and enqueued again (or applied here, with
no REDIS_URL); runs whose parser stopped for N seconds (default 60) are resumed. Safe to run
at any time: a batch applied twice changes nothing.`,
  async run(argv, ctx) {
    const { values } = parseCommand('recover', argv, { 'stale-seconds': { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'if-configured' });
    try {
      const sink = batchSink(runtime);
      runtime.defer(() => sink.close());
      const queue = runtime.redis ? createApplyQueue(runtime.redis, ctx.config.queuePrefix) : undefined;
      if (queue) runtime.defer(() => queue.close());
      const stale = values['stale-seconds'] === undefined ? undefined : Number(values['stale-seconds']);
      const report = await recoverRuns({ config: ctx.config, db: runtime.db, sink, logger: ctx.logger }, queue, stale);
      if (values.json) ctx.out.json(report);
      else ctx.out.line(`resumed runs: ${report.resumed.join(', ') || 'none'}; re-enqueued: ${report.requeued.map((r) => `run ${r.runId} (${r.seqs.length} batches)`).join(', ') || 'nothing'}`);
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
