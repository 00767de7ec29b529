// The Catalogue Events load generator, run as its own process by bench/events.ts so its CPU
// is not the receiver's: rebuilds the plan the driver describes and posts it open-loop at a
// fixed rate. Each request's latency counts from when it was due, not from when it went out,
// so a generator or receiver that falls behind shows as latency (no coordinated omission).
// Prints one JSON line: latency percentiles, statuses, the requests acknowledged, the time of
// the last acknowledgement, throughput and the process's peak RSS.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { signToken, type ProviderKeys } from '../test/helpers/provider.js';
import { bodyOf, planItems, planRequests } from './events-plan.js';
import { peakRssMiB } from './events-processes.js';

export interface LoadPlan {
  url: string;
  rate: number;
  /** `requests`: that many requests; `items`: requests until that many items. */
  size: { requests: number } | { items: number };
  firstRelease: number;
  privateJwk: JWK;
  kid: string;
}

export interface LoadResult {
  requests: number;
  seconds: number;
  /** Requests acknowledged (2XX) per second from the first due to the last answer. */
  throughput: number;
  statuses: Record<string, number>;
  over10s: number;
  p50: number | null; p95: number | null; p99: number | null; max: number | null;
  /** Indexes of the requests answered 2XX. */
  acked: number[];
  lastAckAt: number;
  peakRssMiB: number | null;
}

const TOKEN_POOL = 8;
/** The provider's tokens live 5 minutes and the receiver refuses older ones: sign afresh well before. */
const TOKEN_REFRESH_MS = 60_000;

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as LoadPlan;
const keys: ProviderKeys = { privateKey: await importJWK(plan.privateJwk, 'RS256') as CryptoKey, publicKeyPem: '', publicJwk: {}, kid: plan.kid };
const signPool = () => Promise.all(Array.from({ length: TOKEN_POOL }, () => signToken(keys)));
let tokens = await signPool();
const refresh = setInterval(() => void signPool().then((t) => (tokens = t)), TOKEN_REFRESH_MS);

const requests = 'requests' in plan.size ? planRequests(plan.size.requests, plan.firstRelease) : planItems(plan.size.items, plan.firstRelease);
const target = new URL(plan.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const latencies: number[] = [];
const statuses: Record<string, number> = {};
const acked: number[] = [];
let lastAckAt = 0;
let over10s = 0;

function record(status: string, due: number): void {
  const ms = performance.now() - due;
  latencies.push(ms);
  if (ms > 10_000) over10s++;
  statuses[status] = (statuses[status] ?? 0) + 1;
}

/** Bodies are built as they are sent: all of them at once would be gigabytes at the full rate. */
function send(index: number, due: number): Promise<void> {
  const request = requests[index]!;
  const body = bodyOf(request);
  return new Promise((resolve) => {
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, timeout: 15_000,
      headers: {
        'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${tokens[index % tokens.length]}`,
        ...(request.gzip ? { 'content-encoding': 'gzip' } : {}),
      },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        const status = res.statusCode ?? 0;
        record(String(status), due);
        if (status >= 200 && status < 300) {
          acked.push(index);
          lastAckAt = Date.now();
        }
        resolve();
      });
    });
    req.on('error', () => {
      record('error', due);
      resolve();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

const start = performance.now();
const pending: Promise<void>[] = [];
for (let i = 0; i < requests.length; i++) {
  const due = start + (i * 1000) / plan.rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(send(i, due));
}
await Promise.all(pending);
clearInterval(refresh);
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
const result: LoadResult = {
  requests: requests.length, seconds, throughput: acked.length / seconds, statuses, over10s,
  p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) ?? null, acked, lastAckAt, peakRssMiB: peakRssMiB(process.pid),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
agent.destroy();
