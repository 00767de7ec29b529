// Command results go to stdout (logs go to stderr): JSON for machines, text for people.
import { SingleBar, Presets } from 'cli-progress';
import type { Progress } from '../ingest/ingest.js';

export interface Output {
  json(value: unknown): void;
  line(text: string): void;
}

export const stdout: Output = {
  json: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  line: (text) => process.stdout.write(`${text}\n`),
};

/** A progress bar on a terminal; nothing when stderr is not one (CI, pipes, --json). */
export function progressBar(enabled: boolean): { update(p: Progress): void; stop(): void } {
  if (!enabled || !process.stderr.isTTY) return { update() {}, stop() {} };
  const bar = new SingleBar({
    stream: process.stderr,
    format: 'run {runId} |{bar}| {value}/{total} batches applied | {rows} rows parsed | {rate} rows/s',
    hideCursor: true,
  }, Presets.shades_classic);
  const started = Date.now();
  let running = false;
  return {
    update(p) {
      const payload = { runId: p.runId, rows: p.rowsParsed, rate: Math.round(p.rowsParsed / Math.max(0.001, (Date.now() - started) / 1000)) };
      if (!running) {
        bar.start(p.batchesTotal ?? p.batchesParsed, p.batchesApplied, payload);
        running = true;
      }
      bar.setTotal(Math.max(1, p.batchesTotal ?? p.batchesParsed));
      bar.update(p.batchesApplied, payload);
    },
    stop() {
      if (running) bar.stop();
    },
  };
}

/** A table of fixed-width columns for the text output of list commands. */
export function table(rows: Record<string, unknown>[], columns: string[]): string {
  const cells = rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '' : String(r[c]))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
  const render = (values: string[]) => values.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [render(columns), ...cells.map(render)].join('\n');
}

export function printHelp(ctx: { out: Output }, help: string): number {
  ctx.out.line(help);
  return 0;
}
