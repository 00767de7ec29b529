// The Catalogue Events benchmark's report: each figure against the issue's goal, met or
// missed (docs/benchmarks.md "Catalogue Events at the peak"), then the correctness checks.
// Times are reported, never asserted: only a failed correctness check fails the run.
import type { CatalogueCheck, InboxCheck } from './events-check.js';
import type { LoadResult } from './events-load.js';

export interface BenchResult {
  offered: { rate: number; seconds: number; requests: number; items: number; workers: number; workerKind: string };
  /** The load's figures; the acknowledged indexes are left out of the report. */
  load: Omit<LoadResult, 'acked'>;
  /** Seconds from the last acknowledgement to the last event of the load applied. */
  lastAckToLastApplySeconds: number | null;
  backlog: { events: number; stored: number; seconds: number; eventsPerSecond: number };
  peakRssMiB: { receiver: number | null; workers: (number | null)[]; backlogWorkers: (number | null)[]; loadGenerator: number | null };
  redis: { usedMemoryPeakMiB: number; sampledPeakMiB: number };
  inbox: InboxCheck;
  catalogue: CatalogueCheck;
}

export interface GoalRow {
  goal: string;
  measured: string;
  met: boolean | null;
}

const ms = (n: number | null) => (n === null ? '-' : `${n.toFixed(1)} ms`);

export function goals(r: BenchResult): GoalRow[] {
  const answered = Object.values(r.load.statuses).reduce((n, c) => n + c, 0);
  const twoXx = Object.entries(r.load.statuses).filter(([s]) => /^2\d\d$/.test(s)).reduce((n, [, c]) => n + c, 0);
  const lag = r.lastAckToLastApplySeconds;
  return [
    { goal: 'every request answered 2XX', measured: `${twoXx} of ${r.load.requests} (${Object.entries(r.load.statuses).map(([s, c]) => `${c} x ${s}`).join(', ')})`, met: twoXx === r.load.requests && answered === r.load.requests },
    { goal: 'no request over 10 s', measured: `${r.load.over10s} over 10 s`, met: r.load.over10s === 0 },
    { goal: 'p50 < 20 ms (from the due time)', measured: ms(r.load.p50), met: r.load.p50 !== null && r.load.p50 < 20 },
    { goal: 'p99 < 250 ms (from the due time)', measured: ms(r.load.p99), met: r.load.p99 !== null && r.load.p99 < 250 },
    { goal: 'p95, max', measured: `${ms(r.load.p95)}, ${ms(r.load.max)}`, met: null },
    { goal: `throughput (offered ${r.offered.rate} req/s)`, measured: `${r.load.throughput.toFixed(1)} req/s acknowledged over ${r.load.seconds.toFixed(1)} s`, met: null },
    { goal: 'last ack -> last event applied <= 60 s', measured: lag === null ? '-' : `${lag.toFixed(1)} s`, met: lag !== null && lag <= 60 },
    { goal: 'backlog applied alone >= 400 events/s', measured: `${r.backlog.eventsPerSecond.toFixed(1)} events/s (${r.backlog.stored} events in ${r.backlog.seconds.toFixed(1)} s)`, met: r.backlog.eventsPerSecond >= 400 },
  ];
}

export function correctnessFailures(r: BenchResult): string[] {
  const failures: string[] = [];
  if (r.inbox.missing > 0) failures.push(`${r.inbox.missing} acknowledged items not in the inbox`);
  if (r.inbox.unapplied > 0) failures.push(`${r.inbox.unapplied} acknowledged items neither applied nor stale`);
  if (r.catalogue.notLive > 0) failures.push(`${r.catalogue.notLive} release or track territories not live with the newest snapshot's title`);
  if (r.catalogue.liveWrongly > 0) failures.push(`${r.catalogue.liveWrongly} release or track territories live where the newest snapshot says down`);
  return failures;
}

const mib = (n: number | null) => (n === null ? '-' : `${n} MiB`);

export function printed(r: BenchResult): string {
  const o = r.offered;
  const rows = goals(r);
  const width = Math.max(...rows.map((g) => g.goal.length));
  const lines = [
    `${o.rate} req/s offered for ${o.seconds} s: ${o.requests} requests, ${o.items} items; ${o.workers} x ${o.workerKind === 'worker' ? 'feedline worker' : 'feedline serve --role worker'}`,
    '',
    ...rows.map((g) => `${g.goal.padEnd(width)}  ${g.met === null ? '      ' : g.met ? 'met   ' : 'MISSED'}  ${g.measured}`),
    '',
    `peak RSS: receiver ${mib(r.peakRssMiB.receiver)}; workers ${r.peakRssMiB.workers.map(mib).join(', ')} (load), ${r.peakRssMiB.backlogWorkers.map(mib).join(', ')} (backlog); load generator ${mib(r.peakRssMiB.loadGenerator)}`,
    `Redis: used_memory_peak ${r.redis.usedMemoryPeakMiB.toFixed(1)} MiB (the server's, since it started); used_memory sampled during the run at most ${r.redis.sampledPeakMiB.toFixed(1)} MiB`,
    `inbox: ${Object.entries(r.inbox.byStatus).map(([s, c]) => `${c} ${s}`).join(', ')} of ${r.inbox.acknowledged} acknowledged items`,
    `catalogue: ${r.catalogue.releases} releases and ${r.catalogue.tracks} tracks checked against their newest snapshot`,
  ];
  const failures = correctnessFailures(r);
  lines.push(failures.length === 0 ? 'correctness: every check passed' : `correctness FAILED: ${failures.join('; ')}`);
  for (const example of [...r.inbox.examples, ...r.catalogue.examples]) lines.push(`  ${example}`);
  return `${lines.join('\n')}\n`;
}
