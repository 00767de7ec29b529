// Progress of a run as people read it: batches applied (as the workers apply them, read
// from the ledger), rows per second and an estimate of the time left. One formatter for the
// terminal's bar, the one-line log of a non-terminal, and the logs of serve and replay.
import type { Logger } from '../log.js';
import type { Progress } from './lifecycle.js';
import { systemClock } from '../clock.js';

/** How often a non-terminal, serve or replay reports a run in progress. */
export const PROGRESS_LOG_EVERY_MS = 10_000;

export interface ProgressFigures {
  rowsPerSecond: number;
  /** Seconds left, once the total is known and something is applied; otherwise null. */
  etaSeconds: number | null;
}

export function progressFigures(p: Progress, startedAt: number, now = systemClock().getTime()): ProgressFigures {
  const elapsed = Math.max(0.001, (now - startedAt) / 1000);
  const etaSeconds = p.batchesTotal !== null && p.batchesApplied > 0
    ? Math.max(0, Math.round((p.batchesTotal - p.batchesApplied) * (elapsed / p.batchesApplied)))
    : null;
  return { rowsPerSecond: Math.round(p.rowsParsed / elapsed), etaSeconds };
}

export function formatEta(seconds: number | null): string {
  if (seconds === null) return '?';
  return seconds < 60 ? `${seconds}s` : seconds < 3600 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${Math.floor(seconds / 3600)}h${String(Math.floor(seconds % 3600 / 60)).padStart(2, '0')}m`;
}

export function progressLine(p: Progress, startedAt: number, now = systemClock().getTime()): string {
  const f = progressFigures(p, startedAt, now);
  return `run ${p.runId}: ${p.batchesApplied}/${p.batchesTotal ?? `${p.batchesParsed}+`} batches applied, ${p.rowsParsed} rows parsed, ${f.rowsPerSecond} rows/s, ETA ${formatEta(f.etaSeconds)}`;
}

/** A reporter that writes at most one line every PROGRESS_LOG_EVERY_MS (and the first at once). */
export function throttledProgress(write: (p: Progress, line: string) => void, everyMs = PROGRESS_LOG_EVERY_MS): (p: Progress) => void {
  const started = systemClock().getTime();
  let last = 0;
  return (p) => {
    const now = systemClock().getTime();
    if (now - last < everyMs) return;
    last = now;
    write(p, progressLine(p, started, now));
  };
}

/** For serve and replay: the same line in the log, at info, with its figures as fields. */
export function progressLog(logger: Logger): (p: Progress) => void {
  const started = systemClock().getTime();
  return throttledProgress((p, line) => {
    const f = progressFigures(p, started);
    logger.info({ runId: p.runId, batchesApplied: p.batchesApplied, batchesTotal: p.batchesTotal, rowsParsed: p.rowsParsed, rowsPerSecond: f.rowsPerSecond, etaSeconds: f.etaSeconds }, line);
  });
}
