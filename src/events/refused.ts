// Takedown first when a Catalogue Event holds what the catalogue cannot store (README "Bad
// input", docs/design.md invariant 9). The receiver refuses such a release item (400), so this
// is for a rule nobody foresaw: a snapshot the database refuses is applied again, in a new
// transaction (no savepoint costs the common case anything), by its keys alone when it takes
// something down, the refusal a warning on the event's run; any other is rejected with the
// database's reason (on its run, alerting), never retried.
// A takedown event's own unstorable fields (the receiver stores it) are warnings on its run.
import type { Orm } from '../db/client.js';
import { addQuarantine } from '../db/runs.js';
import type { InboxEvent } from '../db/events.js';
import { releasesRows } from '../db/events-apply.js';
import { storableText, UNSTORABLE_REASON } from '../catalogue/storable.js';
import { takesDown } from '../apply/ddex-refused.js';
import { releaseDeals, tracksOf, unstorableFields, type ReleaseItem } from './model.js';

type Executor = Pick<Orm, 'execute'>;


function warning(event: InboxEvent, text: string) {
  return { line: 1, raw: storableText(`release ${event.itemId} v${event.version}: ${text}`), reason: UNSTORABLE_REASON, severity: 'warning' as const };
}

/** A snapshot that takes something down (src/apply/ddex-refused.ts takesDown), which needs only its keys. */
async function isTakedown(db: Executor, source: string, event: InboxEvent, snapshot: ReleaseItem, now: Date): Promise<boolean> {
  const deals = releaseDeals(snapshot);
  return deals.ok && takesDown(deals.deals, now, (await releasesRows(db, source, [event.itemId])).get(event.itemId) ?? []);
}

/** The snapshot with its keys and availability only. */
function keysOnly(snapshot: ReleaseItem): ReleaseItem {
  const { id, version, streamingAvailability, downloadAvailability } = snapshot;
  return {
    id, version, streamingAvailability, downloadAvailability,
    tracks: tracksOf(snapshot).map((t) => ({ id: t.id, streamingAvailability: t.streamingAvailability, downloadAvailability: t.downloadAvailability })),
  };
}

/**
 * A snapshot the database refused (`reason`), in a new transaction: one that takes something
 * down applies by its keys and availability alone, the refusal a warning on its run; any
 * other comes back `unreadable` with the reason, to be rejected on its run.
 */
export async function keysOrRefusal<R>(db: Executor, source: string, event: InboxEvent, snapshot: ReleaseItem, now: Date, reason: string,
  apply: (db: Executor, snapshot: ReleaseItem) => Promise<R>): Promise<R | { unreadable: string }> {
  if (!(await isTakedown(db, source, event, snapshot, now))) return { unreadable: reason };
  await addQuarantine(db, event.runId, [warning(event, `${reason}; its values were left out and the takedown applied by its keys alone`)]);
  return apply(db, keysOnly(snapshot));
}

/** A takedown event's fields the catalogue could not store: it applied by its key, and each is a warning on its run. */
export async function recordTakedownWarnings(db: Executor, event: InboxEvent, body: unknown): Promise<void> {
  await addQuarantine(db, event.runId, unstorableFields(body).map((why) => warning(event, `${why}; not written to the catalogue, the takedown applies by its key`)));
}
