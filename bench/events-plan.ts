// The Catalogue Events benchmark's traffic, computed the same way by the driver (for the
// catalogue it must end in) and the load generator (for the bodies): 10-track release
// snapshots of about 30 KB, three versions per release, a twentieth of all events explicit
// takedowns, a tenth older versions arriving after newer ones, a tenth sent gzip.
import { gzipSync } from 'node:zlib';
import { releaseEvent, takedownEvent } from '../test/helpers/events.js';

export const FIRST_RELEASE = 3_000_000;
const VERSIONS = 3;
/** Releases whose versions are interleaved with each other's: ~50 events apart at most. */
const BLOCK = 50;
const BASE_MS = Date.parse('2026-12-01T00:00:00Z');
/** Unknown-field padding per track, so a 10-track snapshot is about 30 KB as the provider's are. */
const TRACK_PADDING = 2_600;

export interface PlannedEvent {
  releaseId: number;
  version: number;
  takedown: boolean;
  gzip: boolean;
}

/** Three of every twenty releases end in a takedown (3 / 60 = a twentieth of events). */
function endsInTakedown(release: number): boolean {
  return [0, 7, 14].includes(release % 20);
}

/** Three of every ten releases send version 1 last (a tenth of events arrive late). */
function lateFirst(release: number): boolean {
  return [1, 4, 8].includes(release % 10);
}

export function plan(total: number): PlannedEvent[] {
  const releases = Math.ceil(total / VERSIONS);
  const events: PlannedEvent[] = [];
  for (let block = 0; block < releases; block += BLOCK) {
    const members = Array.from({ length: Math.min(BLOCK, releases - block) }, (_, i) => block + i);
    for (let round = 0; round < VERSIONS; round++) {
      for (const r of members) {
        const order = lateFirst(r) ? [2, 3, 1] : [1, 2, 3];
        const v = order[round]!;
        events.push({ releaseId: FIRST_RELEASE + r, version: BASE_MS + r * 10 + v, takedown: v === VERSIONS && endsInTakedown(r), gzip: false });
      }
    }
  }
  return events.slice(0, total).map((e, i) => ({ ...e, gzip: i % 10 === 9 }));
}

export function titleOf(event: PlannedEvent): string {
  return `Release ${event.releaseId} at ${event.version}`;
}

export function bodyOf(event: PlannedEvent): Buffer {
  const body = event.takedown ? takedownEvent(event.releaseId, event.version) : (() => {
    const snapshot = releaseEvent(event.releaseId, event.version, {
      title: titleOf(event),
      tracks: Array.from({ length: 10 }, (_, i) => ({ id: event.releaseId * 100 + i, title: `Track ${i + 1}` })),
      streaming: [{ territories: ['GB', 'IE', 'DE', 'FR', 'ES', 'IT', 'NL', 'BE', 'SE'] }, { territories: ['US'], start: '2027-01-15T00:00:00Z' }],
    });
    for (const track of snapshot.tracks) Object.assign(track, { credits: 'c'.repeat(TRACK_PADDING) });
    return snapshot;
  })();
  const text = Buffer.from(JSON.stringify([body]));
  return event.gzip ? gzipSync(text) : text;
}
