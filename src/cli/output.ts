// Command results go to stdout (logs go to stderr): JSON for machines, text for people.
import { SingleBar, Presets } from 'cli-progress';
import type { Progress } from '../ingest/lifecycle.js';
import { formatEta, progressFigures, throttledProgress } from '../ingest/progress.js';
import { systemClock } from '../clock.js';

export interface Output {
  json(value: unknown): void;
  line(text: string): void;
}

export const stdout: Output = {
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  line: (text) => process.stdout.write(`${text}\n`),
};

/**
 * On a terminal, a bar of batches applied (as the workers apply them), rows per second and
 * the time left; elsewhere (CI, pipes, files) one plain progress line every 10 s on stderr.
 * Nothing with --json.
 */
export function progressBar(enabled: boolean, stream: NodeJS.WriteStream = process.stderr): { update(p: Progress): void; stop(): void } {
  if (!enabled) return { update() {}, stop() {} };
  if (!stream.isTTY) return { update: throttledProgress((_p, line) => stream.write(`${line}\n`)), stop() {} };
  const bar = new SingleBar({
    stream,
    format: 'run {runId} |{bar}| {value}/{total} batches applied | {rows} rows parsed | {rate} rows/s | ETA {etaText}',
    hideCursor: true,
  }, Presets.shades_classic);
  const started = systemClock().getTime();
  let running = false;
  return {
    update(p) {
      const f = progressFigures(p, started);
      const payload = { runId: p.runId, rows: p.rowsParsed, rate: f.rowsPerSecond, etaText: formatEta(f.etaSeconds) };
      if (!running) {
        bar.start(p.batchesTotal ?? p.batchesParsed, p.batchesApplied, payload);
        running = true;
      }
      bar.setTotal(Math.max(1, p.batchesTotal ?? p.batchesParsed));
      bar.update(p.batchesApplied, payload);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}

/** A table of fixed-width columns for the text output of list commands. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cell = (v: unknown) => (v === null || v === undefined ? '' : v instanceof Date ? v.toISOString() : String(v));
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const render = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [render(columns), ...cells.map(render)].join('\n');
}

export function printHelp(ctx: { out: Output }, help: string): number {
  ctx.out.line(help);
  return 0;
}
