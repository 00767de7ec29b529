// One feed file from start to finish: pick its source (a DDEX message by its content, a CSV
// feed otherwise), run it through the one run lifecycle (src/ingest/lifecycle.ts), and wait
// until a queued run is applied.
import { stat } from 'node:fs/promises';
import { outlastOutage } from '../db/outage.js';
import { type Run } from '../db/runs.js';
import { getRun } from '../db/run-lookups.js';
import { NotFoundError } from '../errors.js';
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
export function runProgress(run: Run): Progress {
  return { runId: run.id, rowsParsed: run.rows, batchesParsed: run.batchesTotal ?? 0, batchesApplied: run.batchesApplied, batchesTotal: run.batchesTotal };
}

/** Waits until a run is applied (or failed), reporting progress from the ledger. */
export async function waitForRun(ctx: Pick<IngestContext, 'config' | 'db' | 'logger' | 'onProgress'>, runId: number, pollMs = 200): Promise<Run> {
  const outage = runOutage(ctx);
  for (;;) {
    const run = await outlastOutage(ctx.db, outage, () => getRun(ctx.db.orm, runId));
    if (!run) throw new Error(`run ${runId} disappeared`);
    ctx.onProgress?.(runProgress(run));
    if (run.status === 'applied' || run.status === 'rejected' || run.status === 'failed') return run;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
