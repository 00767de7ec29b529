// One feed file from start to finish: pick its source (a DDEX message by its content, a CSV
// feed otherwise), run it through the one run lifecycle (src/ingest/lifecycle.ts), and wait
// until a queued run is applied.
import { stat } from 'node:fs/promises';
import { outlastOutage } from '../db/outage.js';
import { type Run } from '../db/runs.js';
import { getRun } from '../db/run-lookups.js';
import { NotFoundError } from '../errors.js';
import { pollUntil } from '../periodic.js';
import { csvSource } from './csv.js';
import { ddexSource, isXmlFile } from './ddex.js';
import { runLifecycle, runOutage, type IngestContext, type IngestOutcome, type IngestRequest, type Progress } from './lifecycle.js';

/** Archives, registers and reads the file: a CSV run may still be applying when this returns (`queued`). */
export async function ingestFeed(ctx: IngestContext, request: IngestRequest): Promise<IngestOutcome> {
  // A path that is not there is not found, whatever its name says.
  if (!(await stat(request.input).catch(() => undefined))?.isFile()) throw new NotFoundError(`no such file: ${request.input}`);
  // A DDEX message is told by its content (XML after gunzip), whatever its name (issue 5).
  const source = (await isXmlFile(request.input)) ? ddexSource(ctx, request) : csvSource(ctx, request);
  return runLifecycle(ctx, request, source);
}

/** A registered run's progress as the ledger has it: what the workers have applied so far. */
function runProgress(run: Run): Progress {
  return { runId: run.id, rowsParsed: run.rows, batchesParsed: run.batchesTotal ?? 0, batchesApplied: run.batchesApplied, batchesTotal: run.batchesTotal };
}

/** A run that will not change any more: applied, rejected or failed. */
export function isFinished(run: Run): boolean {
  return run.status === 'applied' || run.status === 'rejected' || run.status === 'failed';
}

/**
 * Waits until a run is finished, reporting progress from the ledger at every poll and
 * waiting out a PostgreSQL outage as the ingest does. Aborted (shutdown), it returns the run
 * as it stands: the run itself is safe in the ledger.
 */
export async function waitForRun(ctx: Pick<IngestContext, 'config' | 'db' | 'logger' | 'onProgress'>, runId: number, options: { signal?: AbortSignal; pollMs?: number } = {}): Promise<Run> {
  const outage = runOutage(ctx);
  const read = async (): Promise<Run> => {
    const run = await outlastOutage(ctx.db, outage, () => getRun(ctx.db.orm, runId));
    if (!run) throw new Error(`run ${runId} disappeared`);
    ctx.onProgress?.(runProgress(run));
    return run;
  };
  return pollUntil(read, isFinished, { everyMs: options.pollMs ?? 200, signal: options.signal });
}
