// The playback rule on items that Catalogue Events put in the catalogue: the same tables and
// the same words as CSV and DDEX items (src/gate/decision.ts), per territory, with a window
// that opens later, a track that left its release, and a takedown event.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/db/client.js';
import { loadTrackFacts } from '../../src/db/gate.js';
import { applyInboxEvent } from '../../src/events/apply.js';
import { decide } from '../../src/gate/decision.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { releaseEvent, SOURCE, storeTestEvent, takedownEvent } from '../helpers/events.js';

let db: Database;
const RECEIVED = new Date('2026-12-01T10:00:00Z');
const NOW = new Date('2026-12-01T12:00:00Z');

async function deliver(body: object): Promise<void> {
  const id = await storeTestEvent(db, body, 'standard', RECEIVED);
  expect(await applyInboxEvent(db, id, { source: SOURCE, enhancedWaitSeconds: 60, now: () => RECEIVED })).toBe('applied');
}

async function reason(trackId: number, country: string, at = NOW): Promise<string> {
  const decision = decide(await loadTrackFacts(db.orm, SOURCE, String(trackId)), country, at);
  return decision.playable ? 'playable' : decision.reason;
}

beforeAll(async () => {
  db = await connect(await freshDatabase(import.meta.filename));
  // Release 700: tracks 7001 and 7002 in GB and IE. Release 710: track 7101 in DE from 2027-01-01.
  await deliver(releaseEvent(700, 1, { tracks: [{ id: 7001 }, { id: 7002 }] }));
  await deliver(releaseEvent(710, 1, { tracks: [{ id: 7101 }], streaming: [{ territories: ['DE'], start: '2027-01-01T00:00:00Z' }] }));
});
afterAll(async () => {
  await db?.close();
});

describe('event-sourced tracks', () => {
  it('are playable where the snapshot makes them available, and not licensed elsewhere', async () => {
    expect(await reason(7001, 'GB')).toBe('playable');
    expect(await reason(7002, 'IE')).toBe('playable');
    expect(await reason(7001, 'US')).toBe('not_licensed_in_territory');
    expect(await reason(7999, 'GB')).toBe('unknown_track');
  });

  it('are not yet available before their window opens, and playable from that moment', async () => {
    expect(await reason(7101, 'DE')).toBe('not_yet_available');
    expect(await reason(7101, 'DE', new Date('2027-01-01T00:00:01Z'))).toBe('playable');
  });

  it('are refused once a newer snapshot no longer lists them, and the rest still plays', async () => {
    await deliver(releaseEvent(700, 2, { tracks: [{ id: 7001 }] }));
    expect(await reason(7002, 'GB')).toBe('taken_down');
    expect(await reason(7001, 'GB')).toBe('playable');
  });

  it('are refused everywhere after a takedown event', async () => {
    await deliver(takedownEvent(700, 3));
    expect(await reason(7001, 'GB')).toBe('taken_down');
    expect(await reason(7001, 'IE')).toBe('taken_down');
  });
});
