// Takedown first when a DDEX value cannot be stored (README "Bad input", docs/design.md
// invariant 9). The parser takes out the values the database's rules refuse
// (src/parse/ddex/storable.ts): a release that takes something down (takesDown) applies
// without them, each a warning; any other is quarantined. And when PostgreSQL still refuses
// a chunk of the message (a rule nobody foresaw), each release and purge is applied again
// alone, a refused takedown once more by its keys alone, and every refusal is on the run's
// record.
import type { Orm } from '../db/client.js';
import { addQuarantine } from '../db/runs.js';
import { isRefusedValue, refusalOf } from '../errors.js';
import type { DdexDeal, DdexParsedItem, DdexRelease } from '../catalogue/ddex.js';
import type { QuarantinedRow } from '../catalogue/rows.js';
import { storableText, UNSTORABLE_REASON } from '../catalogue/storable.js';
import { availability, WORLDWIDE } from './availability.js';

type Executor = Pick<Orm, 'execute'>;
type Transaction = Parameters<Parameters<Orm['transaction']>[0]>[0];


export interface RefusalScope {
  runId: number;
  now: Date;
  /** The release's stored territory rows (none for a release never seen). */
  stored(db: Executor, release: DdexRelease): Promise<readonly StoredStatus[]>;
}

export interface StoredStatus {
  country: string;
  status: string;
}

/**
 * Whether deals take something down, which must not be lost (docs/design.md invariant 9): a
 * country live now goes down (one without its own row is live where WW is), or a deal's end
 * is scheduled. Leaving the stored state of any other release loses no takedown: what it
 * would write down is not live now.
 */
export function takesDown(deals: readonly DdexDeal[], now: Date, stored: readonly StoredStatus[]): boolean {
  const status = new Map(stored.map((s) => [s.country, s.status]));
  const liveNow = (country: string) => (status.get(country) ?? status.get(WORLDWIDE)) === 'live';
  const { territories, scheduled } = availability(deals, now, status.keys());
  return [...territories].some(([country, state]) => state.status === 'taken_down' && liveNow(country))
    || scheduled.some((change) => change.status === 'taken_down');
}

async function isTakedown(db: Executor, scope: RefusalScope, release: DdexRelease): Promise<boolean> {
  return takesDown(release.deals, scope.now, await scope.stored(db, release));
}

function named(item: { ids: DdexRelease['ids'] }): string {
  const { grid, icpn, proprietaryIds } = item.ids;
  const key = grid ?? icpn ?? (proprietaryIds[0] && `${proprietaryIds[0].namespace}:${proprietaryIds[0].value}`);
  return `release ${key ?? ''}`;
}

function record(item: { position: DdexRelease['position'] }, raw: string, severity?: QuarantinedRow['severity']): QuarantinedRow {
  return { line: item.position.line, column: item.position.column, raw: storableText(raw), reason: UNSTORABLE_REASON, ...(severity ? { severity } : {}) };
}

/**
 * Whether a release the parser took values out of applies: one that takes something down does
 * (takesDown), each value a warning on the run; any other is quarantined naming them, its
 * stored state kept.
 */
export async function admitRefused(db: Executor, scope: RefusalScope, release: DdexRelease): Promise<boolean> {
  const refused = release.refused;
  if (!refused) return true;
  if (await isTakedown(db, scope, release)) {
    await addQuarantine(db, scope.runId, refused.map((why) => record(release, `${named(release)}: ${why}; left out, the takedown applies`, 'warning')));
    return true;
  }
  await addQuarantine(db, scope.runId, [record(release, `${named(release)}: ${refused.join('; ')}; not applied, its stored state kept`)]);
  return false;
}

/** The release with its keys, deals and tracks' ISRCs only: what a takedown needs. */
function keysOnly(release: DdexRelease): DdexRelease {
  return {
    ids: release.ids, explicit: release.explicit, deals: release.deals, position: release.position,
    tracks: release.tracks.map((track) => ({ isrc: track.isrc, explicit: track.explicit, trackReleaseDeals: track.trackReleaseDeals })),
  };
}

/** Runs `work` on a savepoint; the database's reason when it refuses the values. Any other error (a lost connection) is thrown. */
async function refusal(tx: Transaction, work: (savepoint: Executor) => Promise<void>): Promise<string | undefined> {
  try {
    await tx.transaction(work);
    return undefined;
  } catch (err) {
    const refused = refusalOf(err);
    if (refused === undefined) throw err;
    return refused;
  }
}

/**
 * Applies a chunk of the message's parsed items in one transaction. When the database refuses it,
 * the chunk is applied again in one transaction, item by item, each on its own savepoint: a
 * release or purge refused alone is recorded with the database's reason, and one that takes
 * something down is applied once more by its keys, deals and ISRCs alone (the refusal a
 * warning); only a takedown refused even so is quarantined, as a possible takedown, which
 * alerts. `totals` is what `apply` counts into; a refused attempt's counts are taken back.
 */
export async function applyChunk<T extends { quarantined: number }>(db: Orm, scope: RefusalScope, chunk: readonly DdexParsedItem[], totals: T,
  apply: (db: Executor, parsed: DdexParsedItem) => Promise<void>): Promise<void> {
  const before = structuredClone(totals);
  try {
    await db.transaction(async (tx) => {
      for (const parsed of chunk) await apply(tx, parsed);
    });
    return;
  } catch (err) {
    if (!isRefusedValue(err)) throw err;
    Object.assign(totals, before);
  }
  await db.transaction(async (tx) => {
    for (const parsed of chunk) {
      const counted = structuredClone(totals);
      const reason = await refusal(tx, (savepoint) => apply(savepoint, parsed));
      if (reason === undefined) continue;
      Object.assign(totals, counted);
      if (parsed.type !== 'release' && parsed.type !== 'purge') throw new Error(`a ${parsed.type} record was refused: ${reason}`);
      const item = parsed.type === 'release' ? parsed.release : parsed.purge;
      const takedown = parsed.type === 'purge' || await isTakedown(tx, scope, parsed.release);
      if (parsed.type === 'release' && takedown) {
        const warning = record(item, `${named(item)}: ${reason}; its values were left out and the takedown applied by its keys alone`, 'warning');
        const again = await refusal(tx, async (savepoint) => {
          await addQuarantine(savepoint, scope.runId, [warning]);
          await apply(savepoint, { type: 'release', release: keysOnly(parsed.release) });
        });
        if (again === undefined) continue;
        Object.assign(totals, counted);
      }
      await addQuarantine(tx, scope.runId, [record(item, `${named(item)}: ${reason}`, takedown ? 'possible_takedown' : undefined)]);
      totals.quarantined++;
    }
  });
}
