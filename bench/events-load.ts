// The Catalogue Events load generator, run as its own process by bench/events.ts: reads a
// prepared plan (bodies, gzip flags, tokens) and posts it open-loop at a fixed rate, so a
// slow answer never slows the offered load (no coordinated omission). Prints one JSON line:
// per-request latencies, statuses, the last acknowledgement time and achieved throughput.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { bodyOf, plan as planEvents } from './events-plan.js';

interface Plan {
  url: string;
  rate: number;
  total: number;
  /** Tokens signed by the driver, used in turn (signing 24,000 would measure RS256, not us). */
  tokens: string[];
}

const plan = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Plan;
const target = new URL(plan.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const events = planEvents(plan.total);
// Bodies are built as they are sent (a fraction of a millisecond each): 24,000 of them held
// at once would be most of a gigabyte.
const latencies: number[] = [];
const statuses: Record<string, number> = {};
const acked: number[] = [];
let lastAckAt = 0;
let over10s = 0;

function send(index: number): Promise<void> {
  const event = events[index]!;
  const body = bodyOf(event);
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.request({
      host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, timeout: 15_000,
      headers: {
        'content-type': 'application/json', 'content-length': body.length, authorization: `Bearer ${plan.tokens[index % plan.tokens.length]}`,
        ...(event.gzip ? { 'content-encoding': 'gzip' } : {}),
      },
    }, (res) => {
      res.resume();
      res.on('end', () => {
        const ms = performance.now() - started;
        latencies.push(ms);
        if (ms > 10_000) over10s++;
        const status = res.statusCode ?? 0;
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          acked.push(index);
          lastAckAt = Date.now();
        }
        resolve();
      });
    });
    req.on('error', () => {
      statuses.error = (statuses.error ?? 0) + 1;
      resolve();
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(body);
  });
}

const start = performance.now();
const pending: Promise<void>[] = [];
for (let i = 0; i < events.length; i++) {
  const due = start + (i * 1000) / plan.rate;
  const wait = due - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  pending.push(send(i));
}
await Promise.all(pending);
const seconds = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? null;
process.stdout.write(`${JSON.stringify({
  requests: events.length, seconds, throughput: events.length / seconds, statuses, over10s,
  p50: pct(50), p95: pct(95), p99: pct(99), max: latencies.at(-1) ?? null, lastAckAt, acked,
})}\n`);
agent.destroy();
