// Catalogue Events in /metrics, from the inbox at scrape time like every other metric
// (src/http/metrics.ts): received by outcome and HTTP status, acknowledgement latency, and
// the apply lag (age of the oldest event not applied yet). Refusals before the store (401,
// 413, 503) are in the receiver's log: nothing of them reaches the ledger.
import type { Registry } from 'prom-client';
import type { Database } from '../db/client.js';
import { eventAckBuckets, eventCountsByOutcome, eventSummary } from '../db/events-report.js';
import { systemClock } from '../clock.js';

/** Acknowledgement (store) latency buckets, seconds: the provider allows 10 s; we aim under 0.25 s. */
export const EVENT_ACK_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

type Computed = (registry: Registry, name: string, help: string, type: 'gauge' | 'counter' | 'histogram',
  samples: () => Promise<{ labels?: Record<string, string>; value: number; metricName?: string }[]>) => void;

export function registerEventMetrics(registry: Registry, db: Database, computed: Computed, prefix: string): void {
  computed(registry, 'events_received_total', 'Catalogue Events recorded, by outcome (applied, stale, pending, waiting, test, rejected) and the HTTP status answered', 'counter',
    async () => (await eventCountsByOutcome(db.orm)).map((r) => ({ labels: { outcome: r.status, http_status: String(r.httpStatus) }, value: r.n })));
  computed(registry, 'events_ack_seconds', 'Catalogue Events: time from request arrival to the event stored (the 2XX follows)', 'histogram', async () => {
    const h = await eventAckBuckets(db.orm, EVENT_ACK_BUCKETS.map((s) => s * 1000));
    const name = `${prefix}events_ack_seconds`;
    return [
      ...EVENT_ACK_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le: String(le) }, value: h.counts[i]! })),
      { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count },
      { metricName: `${name}_sum`, value: h.sum / 1000 },
      { metricName: `${name}_count`, value: h.count },
    ];
  });
  computed(registry, 'events_apply_lag_seconds', 'Age of the oldest Catalogue Event stored and not applied yet; 0 when none is open', 'gauge',
    async () => [{ value: (await eventSummary(db.orm, systemClock())).oldestOpenSeconds ?? 0 }]);
}
