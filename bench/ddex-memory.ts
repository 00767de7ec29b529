// Measures the DDEX parser's memory on one message (make a large one with
// bench/generate-ddex.ts): peak RSS, peak heap, and the heap still held when the first
// release comes out, which is the buffered compact data the parser's header comment bounds.
// Run with --expose-gc for that retained-heap figure:
//
//   node --expose-gc --import tsx bench/ddex-memory.ts /tmp/ern-200mb.xml
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { readDdexMessage } from '../src/parse/ddex/index.js';

const MB = 1024 * 1024;
const file = process.argv[2];
if (!file) {
  process.stderr.write('usage: node --expose-gc --import tsx bench/ddex-memory.ts FILE\n');
  process.exit(2);
}

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const baseline = process.memoryUsage();
let peakHeap = baseline.heapUsed;
const sample = () => {
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
};
const sampler = setInterval(sample, 20);

const started = performance.now();
const counts = { releases: 0, tracks: 0, deals: 0, purges: 0, problems: 0 };
let retainedAtFlush: number | undefined;
let secondsToFirstRelease = 0;
for await (const event of readDdexMessage(createReadStream(file, { highWaterMark: 256 * 1024 }), file)) {
  if (event.type === 'release') {
    if (counts.releases === 0) {
      secondsToFirstRelease = (performance.now() - started) / 1000;
      sample();
      if (gc) {
        gc();
        retainedAtFlush = process.memoryUsage().heapUsed - baseline.heapUsed;
      }
    }
    counts.releases++;
    counts.tracks += event.release.tracks.length;
    counts.deals += event.release.deals.length;
  } else if (event.type === 'purge') counts.purges++;
  else if (event.type === 'problem') counts.problems++;
}
clearInterval(sampler);
sample();

const seconds = (performance.now() - started) / 1000;
const { size } = await stat(file);
const peakRss = process.resourceUsage().maxRSS * 1024;
const lines = [
  `file                 ${(size / MB).toFixed(1)} MB`,
  `read                 ${counts.releases} releases, ${counts.tracks} tracks, ${counts.deals} release deals, ${counts.purges} purges, ${counts.problems} problems`,
  `time                 ${seconds.toFixed(1)} s (${(size / MB / seconds).toFixed(1)} MB/s), first release after ${secondsToFirstRelease.toFixed(1)} s`,
  `baseline RSS / heap  ${(baseline.rss / MB).toFixed(0)} MB / ${(baseline.heapUsed / MB).toFixed(0)} MB`,
  `peak RSS             ${(peakRss / MB).toFixed(0)} MB`,
  `peak heap used       ${(peakHeap / MB).toFixed(0)} MB (sampled every 20 ms)`,
  retainedAtFlush === undefined
    ? 'retained at flush    (run with --expose-gc)'
    : `retained at flush    ${(retainedAtFlush / MB).toFixed(0)} MB after GC, ${(retainedAtFlush / Math.max(1, counts.releases)).toFixed(0)} bytes per release`,
];
process.stdout.write(`${lines.join('\n')}\n`);
