// The SLA page's headline and tab state: the worst open condition, in words ("2 runs past
// their deadline; 12 feeds missing"), green only when nothing is open. Acknowledged
// conditions still count (they are open), and say so.
import type { OpenAlert } from '../db/sla.js';
import { formatDuration, type SlaSnapshot } from '../sla/deadlines.js';

export type Overall = 'ok' | 'warning' | 'breach';

/** How an open alert of each kind is counted in words: [one, many]. */
const NOUNS: Record<string, [string, string]> = {
  sla: ['run past its deadline', 'runs past their deadline'],
  missing: ['feed missing', 'feeds missing'],
  rejected: ['file rejected', 'files rejected'],
  batch_failed: ['run with failed batches', 'runs with failed batches'],
  quarantine: ['run with many quarantined rows', 'runs with many quarantined rows'],
  auth: ['fetch refused', 'fetches refused'],
  reconcile: ['reconciliation held back', 'reconciliations held back'],
  backlog: ['backlog too long', 'backlogs too long'],
};

const phrase = (count: number, kind: string, acknowledged: number) => {
  const [one, many] = NOUNS[kind] ?? [`${kind} alert`, `${kind} alerts`];
  return `${count} ${count === 1 ? one : many}${acknowledged === count ? ' (acknowledged)' : acknowledged > 0 ? ` (${acknowledged} acknowledged)` : ''}`;
};

/** Missing alerts list their dates (details.dates): each date is a feed missing. */
const weight = (a: OpenAlert) => (a.kind === 'missing' && Array.isArray(a.details.dates) ? Math.max(1, a.details.dates.length) : 1);

function describe(alerts: readonly OpenAlert[], state: string, pendingRuns: number): string[] {
  const byKind = new Map<string, { count: number; acknowledged: number }>();
  for (const a of alerts.filter((x) => x.state === state)) {
    const entry = byKind.get(a.kind) ?? { count: 0, acknowledged: 0 };
    entry.count += weight(a);
    if (a.acknowledged) entry.acknowledged += weight(a);
    byKind.set(a.kind, entry);
  }
  // The clock knows runs past their deadline before the sweep raises their alert.
  const sla = byKind.get('sla') ?? { count: 0, acknowledged: 0 };
  if (pendingRuns > sla.count) byKind.set('sla', { ...sla, count: pendingRuns });
  return [...byKind].filter(([, v]) => v.count > 0).map(([kind, v]) => phrase(v.count, kind, v.acknowledged));
}

export function headlineFor(snapshot: SlaSnapshot, alerts: readonly OpenAlert[], windowHours: number): { overall: Overall; headline: string } {
  const breaches = describe(alerts, 'breach', snapshot.breaching);
  if (breaches.length > 0) return { overall: 'breach', headline: breaches.join('; ') };
  const warnings = describe(alerts, 'warning', 0);
  if (snapshot.warning > 0) warnings.unshift(`${snapshot.warning} ${snapshot.warning === 1 ? 'run' : 'runs'} near the ${windowHours} h deadline`);
  if (warnings.length > 0) return { overall: 'warning', headline: warnings.join('; ') };
  if (snapshot.runs.length > 0) {
    return { overall: 'ok', headline: `${snapshot.runs.length} ${snapshot.runs.length === 1 ? 'run' : 'runs'} pending, all on time; nearest deadline in ${formatDuration(snapshot.nearestDeadlineSeconds ?? 0)}` };
  }
  return { overall: 'ok', headline: 'All clear: nothing pending, no open alerts' };
}
