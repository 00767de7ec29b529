// npm run bench:gate -- [--duration S] [--rate R] [--takedowns N] [--tracks N] [--processes P] [--connections C] [--json]
// Load on the playback gate from Debian's wrk: POST /v1/playback, then GET /v1/stream/authorize
// (every request a fresh pre-signed URL), each for --duration seconds at about --rate
// requests/s, against `feedline serve --role gate` in --processes processes on PostgreSQL and
// Redis. During the playback phase --takedowns takedowns are applied through the real
// ingest path (one CSV updates feed each) and each is timed until the gate refuses the track.
// Asserts correctness only (no 5xx, every takedown refused, no false replays); times are
// reported (docs/benchmarks.md), never asserted.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../src/config/load.js';
import { openDatabase } from '../src/db/client.js';
import { migrate } from '../src/db/migrate.js';
import { createSigner } from '../src/gate/signing.js';
import { ingestFeed, waitForRun } from '../src/ingest/ingest.js';
import { createLogger } from '../src/log.js';
import { inlineSink } from '../src/queue/sink.js';
import { clearPrefix, REDIS_URL } from '../test/helpers/redis.js';
import { recreateDatabase } from '../test/helpers/db.js';
import { csvTrack } from '../test/gate/catalogue.js';
import { TRACK_HEADER } from '../test/helpers/feeds.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: {
  duration: { type: 'string', default: '60' }, rate: { type: 'string', default: '2000' }, takedowns: { type: 'string', default: '100' },
  tracks: { type: 'string', default: '10000' }, processes: { type: 'string', default: '2' }, connections: { type: 'string', default: '20' },
  port: { type: 'string', default: '17310' }, json: { type: 'boolean', default: false },
} });
const duration = Number(args.duration);
const rate = Number(args.rate);
const takedownCount = Number(args.takedowns);
const trackCount = Number(args.tracks);
const connections = Number(args.connections);
const port = Number(args.port);
const TOKEN = 'bench-token-0123456789abcdef';
const KEYS = 'b1:bench-key-0123456789abcdef0123456789';
const MEDIA = 'https://media.example.test/media';
const PREFIX = 'flbench-gate';
const BASELINE_SERVER = `
const cluster = require('node:cluster');
const [port, processes] = process.argv.slice(2).map(Number);
if (cluster.isPrimary) { for (let i = 0; i < processes; i++) cluster.fork(); process.on('SIGTERM', () => { for (const w of Object.values(cluster.workers)) w.kill(); process.exit(0); }); }
else require('node:http').createServer((req, res) => { req.resume(); req.on('end', () => res.end('{}')); }).listen(port, '127.0.0.1');
`;
const logger = createLogger({ level: 'warn' });
const say = (text: string) => process.stderr.write(`${text}\n`);

const dir = mkdtempSync(path.join(tmpdir(), 'feedline-bench-gate-'));
const url = await recreateDatabase('feedline_bench_gate');
await clearPrefix(PREFIX);
const config = loadConfig({}, { DATABASE_URL: url, FEEDLINE_HOME: dir, LOG_LEVEL: 'warn' });
const db = await openDatabase({ databaseUrl: url, home: dir });
await migrate(db);

async function applyTracks(date: string, records: string[]): Promise<void> {
  const file = path.join(dir, `GB_track_updates_${date}.csv.gz`);
  writeFileSync(file, gzipSync(`action,${TRACK_HEADER}\n${records.join('\n')}\n`));
  const ctx = { config, db, sink: inlineSink(db), logger };
  const outcome = await ingestFeed(ctx, { input: file, feed: {} });
  if (outcome.status !== 'queued') throw new Error(`${file}: ${outcome.status}`);
  await waitForRun(ctx, outcome.run.id, { pollMs: 5 });
}

say(`ingesting ${trackCount} live GB tracks`);
await applyTracks('20261120', Array.from({ length: trackCount }, (_, i) => csvTrack({ id: i + 1 })));

writeFileSync(path.join(dir, 'keys'), KEYS);
writeFileSync(path.join(dir, 'tokens'), `bench:${TOKEN}`);
const gateEnv = {
  PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'warn',
  DATABASE_URL: url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: PREFIX, FEEDLINE_HOME: dir,
  FEEDLINE_GATE_PORT: String(port), FEEDLINE_HTTP_PORT: String(port + 1), FEEDLINE_GATE_PROCESSES: args.processes,
  FEEDLINE_GATE_KEYS_FILE: path.join(dir, 'keys'), FEEDLINE_GATE_TOKENS_FILE: path.join(dir, 'tokens'),
  FEEDLINE_GATE_MEDIA_BASE_URL: MEDIA, FEEDLINE_GATE_RATE_LIMIT: '1000000',
};
const gate: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/main.ts'), 'serve', '--role', 'gate'], { cwd: ROOT, env: gateEnv, stdio: ['ignore', 'ignore', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
const REFUSALS_IN_A_ROW = 4;
const playback = (trackId: number) => fetch(`${base}/v1/playback`, {
  method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', connection: 'close' }, body: JSON.stringify({ userId: 'probe', trackId: String(trackId), country: 'GB' }),
}).then(async (res) => { await res.arrayBuffer(); return res.status; });

try {
  for (let i = 0; ; i++) {
    if (gate.exitCode !== null) throw new Error('the gate exited');
    if (await playback(1).then((s) => s === 200, () => false)) break;
    if (i > 300) throw new Error('the gate did not start');
    await new Promise((r) => setTimeout(r, 200));
  }
  // Let every process's notification channel come up before timing anything.
  await new Promise((r) => setTimeout(r, 2_000));

  say('warm-up: 10 s of playback (fills the views; not reported)');
  await wrk('gate-playback.lua', [TOKEN, String(trackCount), String(rate), String(connections)], 10);

  say(`playback: ${duration} s at ~${rate}/s with ${takedownCount} takedowns applied during it`);
  const takedownIds = Array.from({ length: takedownCount }, (_, i) => trackCount - i);
  const timings: { fromCommitMs: number; fromStartMs: number }[] = [];
  const load = wrk('gate-playback.lua', [TOKEN, String(trackCount), String(rate), String(connections)], duration);
  const spacingMs = (duration * 1000 * 0.8) / Math.max(1, takedownCount);
  await new Promise((r) => setTimeout(r, 1_000));
  for (const [i, id] of takedownIds.entries()) {
    const started = performance.now();
    await applyTracks(dateAfter('2026-11-21', i), [csvTrack({ id }, 'D')]);
    const applied = performance.now();
    // Refused by every process: new connections are shared round-robin between them, so
    // REFUSALS_IN_A_ROW refusals on fresh connections in a row cover both of two processes.
    for (let refusedInARow = 0; refusedInARow < REFUSALS_IN_A_ROW;) {
      refusedInARow = (await playback(id)) === 403 ? refusedInARow + 1 : 0;
      if (refusedInARow === REFUSALS_IN_A_ROW) break;
      if (performance.now() - applied > 10_000) throw new Error(`track ${id}: still playable 10 s after its takedown was applied`);
      await new Promise((r) => setTimeout(r, 2));
    }
    const refused = performance.now();
    timings.push({ fromCommitMs: refused - applied, fromStartMs: refused - started });
    const wait = spacingMs - (performance.now() - started);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  const playbackResult = await load;
  const health = await fetch(`${base}/healthz`).then((r) => r.json() as Promise<Record<string, unknown>>);

  const authorizeCount = Math.ceil(rate * duration * 1.3) + 10_000;
  say(`signing ${authorizeCount} single-use URLs for the authorize phase`);
  const signer = createSigner({ keys: [{ id: 'b1', secret: KEYS.slice(3) }], signingKeyId: 'b1', mediaBaseUrl: MEDIA, ttlSeconds: 3600, skewSeconds: 30 });
  const live = trackCount - takedownCount;
  const lines: string[] = [];
  for (let i = 0; i < authorizeCount; i++) {
    const u = new URL(signer.sign({ source: '7digital', trackId: String(1 + (i % live)), userId: `bench-${i}`, country: 'GB' }, Date.now()).streamUrl);
    lines.push(`${u.pathname}${u.search}`);
  }
  const uriFile = path.join(dir, 'uris');
  writeFileSync(uriFile, `${lines.join('\n')}\n`);
  say(`authorize: ${duration} s at ~${rate}/s`);
  const authorizeResult = await wrk('gate-authorize.lua', [TOKEN, uriFile, String(rate), String(connections), '1'], duration);

  // The machine's ceiling right now: the same load on node:http answering "{}" in as many
  // processes, doing nothing else. Paired with the gate's figures, it says how much is ours.
  const baselineSeconds = Math.min(15, duration);
  say(`baseline: ${baselineSeconds} s of the playback load on a bare node:http cluster answering {}`);
  const baselineFile = path.join(dir, 'baseline.cjs');
  writeFileSync(baselineFile, BASELINE_SERVER);
  const baseline = spawn(process.execPath, [baselineFile, String(port + 2), args.processes], { stdio: 'ignore' });
  let baselineResult: WrkResult;
  try {
    for (let i = 0; !(await fetch(`http://127.0.0.1:${port + 2}/`).then(() => true, () => false)); i++) {
      if (i > 150) throw new Error('the baseline server did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
    baselineResult = await wrk('gate-playback.lua', [TOKEN, String(trackCount), String(rate), String(connections)], baselineSeconds, `http://127.0.0.1:${port + 2}`);
  } finally {
    baseline.kill('SIGTERM');
  }

  const refusal = timings.map((t) => t.fromCommitMs).sort((a, b) => a - b);
  const summary = {
    machine: 'shared: 2 vCPUs, other engineers\' tests running; load generator (wrk, 1 thread) on the same machine',
    settings: { duration, rate, connections, tracks: trackCount, processes: Number(args.processes), nonces: 'redis' },
    gateHealthAfterPlayback: health,
    baselineBareNodeHttp: baselineResult,
    playback: playbackResult,
    authorize: authorizeResult,
    takedownToRefusal: {
      count: timings.length,
      medianMs: round(refusal[Math.floor(refusal.length / 2)] ?? 0),
      p99Ms: round(refusal[Math.min(refusal.length - 1, Math.floor(refusal.length * 0.99))] ?? 0),
      maxMs: round(refusal.at(-1) ?? 0),
      maxFromIngestStartMs: round(Math.max(...timings.map((t) => t.fromStartMs))),
    },
  };
  const problems: string[] = [];
  if (playbackResult.status.s5 > 0) problems.push(`${playbackResult.status.s5} playback 5xx`);
  if (authorizeResult.status.s5 > 0) problems.push(`${authorizeResult.status.s5} authorize 5xx`);
  if (authorizeResult.status.s409 > 0 || authorizeResult.status.s403 > 0) problems.push(`authorize refused fresh URLs: ${JSON.stringify(authorizeResult.status)}`);
  if (authorizeResult.status.exhausted > 0) problems.push('authorize ran out of pre-signed URLs (raise the margin)');
  if (health.decisions !== 'memory') problems.push(`the gate answered from ${String(health.decisions)}, not its in-memory view`);
  if (timings.length !== takedownCount) problems.push('not every takedown was refused');
  if (args.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else say(JSON.stringify(summary, null, 2));
  if (problems.length > 0) {
    say(`FAILED: ${problems.join('; ')}`);
    process.exitCode = 1;
  }
} finally {
  gate.kill('SIGTERM');
  await new Promise((r) => gate.once('exit', r));
  await db.close();
  await clearPrefix(PREFIX);
}

interface WrkResult {
  requests: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  /** s2/s4/s5 (classes) or s200/s403/s409/s410, other, exhausted (URLs ran out). */
  status: { s5: number; s403: number; s409: number; exhausted: number; [word: string]: number };
}

/** Runs wrk with a script from bench/ against the gate; parses the script's and wrk's figures. */
function wrk(script: string, scriptArgs: string[], seconds: number, target = base): Promise<WrkResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '5s', '-s', path.join(ROOT, 'bench', script), target, '--', ...scriptArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`wrk exited ${code}: ${out}`));
      const pct = (p: string) => Number(new RegExp(`^PCT ${p} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN) / 1000;
      const status = Object.fromEntries([...(/^STATUS (.*)$/m.exec(out)?.[1] ?? '').matchAll(/(\w+)=(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
      const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
      resolve({
        requests,
        requestsPerSecond: round(Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)),
        latencyMs: { p50: round(pct('50')), p90: round(pct('90')), p99: round(pct('99')), p999: round(pct('99.9')), max: round(Number(/^MAXLAT (\d+)$/m.exec(out)?.[1] ?? NaN) / 1000) },
        status: { s5: 0, s403: 0, s409: 0, exhausted: 0, ...status },
      });
    });
  });
}

function dateAfter(start: string, days: number): string {
  return new Date(Date.parse(`${start}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
