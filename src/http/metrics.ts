// /metrics: Prometheus text format, every value read from PostgreSQL (and BullMQ's counts
// from Redis) at scrape time, so any api replica reports the same numbers and a restart
// loses nothing. Counters here are totals kept by the ledger, not by this process, which is
// what makes them safe to compute: they only move when the ledger does.
import type { Queue } from 'bullmq';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import {
  appliedTotals, countAlertEvents, feedProgress, openAlerts, quarantinedTotals, takedownLatencyBuckets,
} from '../db/sla.js';
import { slaSnapshot, type SlaSnapshot } from '../sla/deadlines.js';
import { registerEventMetrics } from '../events/metrics.js';
import { systemClock } from '../clock.js';

export const METRIC_PREFIX = 'feedline_';

/**
 * Takedown latency buckets (seconds): fine around the warning threshold and the 24-hour
 * licence window (docs/feeds.md rule 1), where the question "how close did we get" matters.
 */
export const TAKEDOWN_LATENCY_BUCKETS = [60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 12 * 3600, 16 * 3600, 20 * 3600, 22 * 3600, 24 * 3600, 48 * 3600];

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'completed', 'failed'] as const;

export interface MetricsDeps {
  db: Database;
  sla: Config['sla'];
  /** BullMQ queues to count jobs of; empty without Redis. */
  queues: readonly Queue[];
  now?: () => Date;
}

type Labels = Record<string, string>;
interface Sample {
  labels?: Labels;
  value: number;
  metricName?: string;
}

/** A metric whose samples are computed when scraped (prom-client's collector contract). */
function computed(registry: Registry, name: string, help: string, type: 'gauge' | 'counter' | 'histogram', samples: () => Promise<Sample[]>): void {
  const fullName = `${METRIC_PREFIX}${name}`;
  const metric = {
    name: fullName,
    help,
    type,
    aggregator: 'sum',
    async get() {
      return { name: fullName, help, type, aggregator: 'sum', values: await samples() };
    },
    reset() {},
  };
  registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
}

export function createMetricsRegistry(deps: MetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  const now = deps.now ?? systemClock;
  const { db } = deps;

  // One snapshot per scrape: every SLA metric reads the same moment.
  let memo: { at: number; value: Promise<SlaSnapshot> } | undefined;
  const snapshot = () => {
    if (!memo || systemClock().getTime() - memo.at > 1000) memo = { at: systemClock().getTime(), value: slaSnapshot(db, deps.sla, now()) };
    return memo.value;
  };

  computed(registry, 'pending_changes', 'Rows not yet applied, by entity, country and action (insert, update, delete), from the batches of runs not applied', 'gauge',
    async () => (await snapshot()).pending.map((p) => ({ labels: { entity: p.entity, country: p.country, action: p.action }, value: p.changes })));
  computed(registry, 'pending_runs', 'Feed runs not yet applied, by status (parsing, applying, failed)', 'gauge', async () => {
    const counts = new Map<string, number>([['parsing', 0], ['applying', 0], ['failed', 0]]);
    for (const run of (await snapshot()).runs) counts.set(run.status, (counts.get(run.status) ?? 0) + 1);
    return [...counts].map(([status, value]) => ({ labels: { status }, value }));
  });
  computed(registry, 'oldest_pending_change_age_seconds', 'Age of the oldest pending change, from its feed\'s publication; 0 when nothing is pending', 'gauge',
    async () => [{ value: (await snapshot()).oldestPendingAgeSeconds }]);
  computed(registry, 'sla_nearest_deadline_seconds', 'Seconds until the nearest SLA deadline of anything pending (negative when passed); +Inf when nothing is pending', 'gauge',
    async () => [{ value: (await snapshot()).nearestDeadlineSeconds ?? Number.POSITIVE_INFINITY }]);
  computed(registry, 'sla_runs', 'Pending runs past their warning threshold or their deadline, by state', 'gauge', async () => {
    const s = await snapshot();
    return [{ labels: { state: 'warning' }, value: s.warning }, { labels: { state: 'breach' }, value: s.breaching }];
  });
  computed(registry, 'sla_window_seconds', 'The configured SLA window (publication to live)', 'gauge', async () => [{ value: deps.sla.windowHours * 3600 }]);
  computed(registry, 'sla_breaches_total', 'SLA breaches recorded (runs that went past their deadline)', 'counter',
    async () => [{ value: await countAlertEvents(db.orm, 'sla', 'breach') }]);
  computed(registry, 'changes_applied_total', 'Changes applied, by action (insert, update, takedown, unchanged)', 'counter', async () => {
    const t = await appliedTotals(db.orm);
    return [
      { labels: { action: 'insert' }, value: t.inserted },
      { labels: { action: 'update' }, value: t.updated },
      { labels: { action: 'takedown' }, value: t.takenDown },
      { labels: { action: 'unchanged' }, value: t.unchanged },
    ];
  });
  computed(registry, 'takedown_latency_seconds', 'Takedown latency from feed publication to applied (docs/feeds.md rule 1: within 24 h)', 'histogram', async () => {
    const h = await takedownLatencyBuckets(db.orm, TAKEDOWN_LATENCY_BUCKETS);
    const name = `${METRIC_PREFIX}takedown_latency_seconds`;
    return [
      ...TAKEDOWN_LATENCY_BUCKETS.map((le, i) => ({ metricName: `${name}_bucket`, labels: { le: String(le) }, value: h.counts[i]! })),
      { metricName: `${name}_bucket`, labels: { le: '+Inf' }, value: h.count },
      { metricName: `${name}_sum`, value: h.sum },
      { metricName: `${name}_count`, value: h.count },
    ];
  });
  computed(registry, 'feed_lag_days', 'Days between today (UTC) and the newest feed date applied, per feed', 'gauge', async () => {
    const today = Date.parse(`${now().toISOString().slice(0, 10)}T00:00:00Z`);
    return (await feedProgress(db.orm))
      .filter((f) => f.lastAppliedDate)
      .map((f) => ({
        labels: { source: f.source, entity: f.entity, kind: f.kind, country: f.country },
        value: Math.round((today - Date.parse(`${f.lastAppliedDate}T00:00:00Z`)) / 86_400_000),
      }));
  });
  computed(registry, 'quarantined_rows_total', 'Rows quarantined (malformed), by entity and country', 'counter',
    async () => (await quarantinedTotals(db.orm)).map((q) => ({ labels: { entity: q.entity, country: q.country }, value: Number(q.rows) })));
  computed(registry, 'open_alerts', 'Alerts currently open, by kind, state and whether an operator acknowledged them (feedline alerts ack)', 'gauge', async () => {
    const counts = new Map<string, Sample>();
    for (const a of await openAlerts(db.orm)) {
      const acknowledged = String(a.acknowledged !== null);
      const key = `${a.kind}|${a.state}|${acknowledged}`;
      const sample = counts.get(key) ?? { labels: { kind: a.kind, state: a.state, acknowledged }, value: 0 };
      sample.value++;
      counts.set(key, sample);
    }
    return [...counts.values()];
  });
  computed(registry, 'queue_jobs', 'BullMQ jobs by queue and state', 'gauge', async () => {
    const samples: Sample[] = [];
    for (const queue of deps.queues) {
      const counts = await queue.getJobCounts(...JOB_STATES);
      for (const state of JOB_STATES) samples.push({ labels: { queue: queue.name, state }, value: counts[state] ?? 0 });
    }
    return samples;
  });
  registerEventMetrics(registry, db, computed, METRIC_PREFIX);
  return registry;
}
