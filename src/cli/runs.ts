import { listQuarantine, listRuns, getRun } from '../db/run-lookups.js';
import type { QuarantineSeverity } from '../catalogue/statuses.js';
import { NotFoundError, UsageError } from '../errors.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp, table } from './output.js';
import { openRuntime } from './runtime.js';


export const runsCommand: Command = {
  name: 'runs',
  summary: 'List recent feed runs with their status and counts',
  help: `Usage: feedline runs [--limit N] [--json]`,
  async run(argv, ctx) {
    const { values } = parseCommand('runs', argv, { limit: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 0 });
    if (values.help) return printHelp(ctx, this.help);
    const limit = Number(values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError('--limit must be a positive integer');
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const runs = await listRuns(runtime.db.orm, limit);
      if (values.json) ctx.out.json(runs);
      else ctx.out.line(table(runs.map((r) => ({ ...r, feed: `${r.country} ${r.entity} ${r.kind} ${r.feedDate}`, batches: `${r.batchesApplied}/${r.batchesTotal ?? '?'}` })),
        ['id', 'feed', 'status', 'rows', 'inserted', 'updated', 'takenDown', 'unchanged', 'quarantined', 'batches', 'createdAt', 'error']));
      return 0;
    } finally {
      await runtime.close();
    }
  },
};

export const quarantineCommand: Command = {
  name: 'quarantine',
  summary: 'Show the rows of a run that were quarantined, and its warnings, with line and reason',
  help: `Usage: feedline quarantine <runId> [--json]

Lists the run's quarantined rows (not applied) and its warnings (rows applied despite a
defect, e.g. a takedown with an unreadable date), by line. A row marked POSSIBLE TAKEDOWN
was not applied and may be a takedown (unreadable action, or D with an invalid key).`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('quarantine', argv, { json: { type: 'boolean' } }, { min: 1, max: 1 });
    if (values.help) return printHelp(ctx, this.help);
    const runId = Number(positionals[0]);
    if (!Number.isInteger(runId) || runId < 1) throw new UsageError('quarantine: runId must be a positive integer');
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const run = await getRun(runtime.db.orm, runId);
      if (!run) throw new NotFoundError(`no run ${runId}`);
      const rows = await listQuarantine(runtime.db.orm, runId);
      if (values.json) ctx.out.json({ runId, file: run.fileName, rows });
      else if (rows.length === 0) ctx.out.line(`run ${runId} (${run.fileName}): nothing quarantined`);
      else ctx.out.line(rows.map((r) => `${run.fileName}:${r.line}${r.field ? ` field ${r.field}` : ''}: ${SEVERITY_LABEL[r.severity]}${r.reason}\n    ${r.raw.slice(0, 200)}`).join('\n'));
      return 0;
    } finally {
      await runtime.close();
    }
  },
};

const SEVERITY_LABEL: Record<QuarantineSeverity, string> = { quarantined: '', possible_takedown: 'POSSIBLE TAKEDOWN: ', warning: 'warning (applied): ' };
