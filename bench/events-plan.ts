// The Catalogue Events benchmark's traffic, computed the same way by the driver (for the
// catalogue it must end in) and the load generator (for the bodies). Bodies are JSON arrays
// in the provider's published shape (docs/feeds.md "Catalogue Events"): album snapshots of
// 10 tracks streamable in about 10 territories with a download-only one, three versions per
// release interleaved with other releases'. Of the requests, a tenth are gzip, every fifth
// carries several items, and of the items a twentieth are takedowns and a tenth older
// versions arriving after newer ones.
import { gzipSync } from 'node:zlib';
import { releaseEvent, takedownEvent } from '../test/helpers/events.js';

const VERSIONS = 3;
const TRACKS = 10;
/** Releases whose versions are interleaved with each other's: ~50 items apart at most. */
const BLOCK = 50;
const BASE_MS = Date.parse('2026-12-01T00:00:00Z');
/** Streamed in every version; each version adds one of ROTATING, so a newer one ends a territory. */
const STREAMED = ['GB', 'IE', 'DE', 'FR', 'ES', 'IT', 'NL', 'BE'];
const ROTATING = ['SE', 'PL', 'AT'];
/** Streamable from a date still to come (scheduled, not live) and download only (never streamable). */
const SCHEDULED = { territories: ['US'], start: '2027-01-15T00:00:00Z' };
const DOWNLOAD_ONLY = ['JP'];
/** Every fifth request carries this many items, the others one. */
const ITEMS_IN_SEVERAL = 3;

export interface PlannedItem {
  releaseId: number;
  version: number;
  /** 1 to 3: which of the release's versions, oldest first. */
  ordinal: number;
  takedown: boolean;
}

export interface PlannedRequest {
  items: PlannedItem[];
  gzip: boolean;
}

/** Three of every twenty releases end in a takedown (3 / 60 = a twentieth of items). */
function endsInTakedown(release: number): boolean {
  return [0, 7, 14].includes(release % 20);
}

/** Three of every ten releases send version 1 last (a tenth of items arrive late). */
function lateFirst(release: number): boolean {
  return [1, 4, 8].includes(release % 10);
}

/** The items of releases first, first + 1, ... in the order they are sent, until `items` of them. */
function itemsInOrder(first: number, items: number): PlannedItem[] {
  const out: PlannedItem[] = [];
  for (let block = 0; out.length < items; block += BLOCK) {
    for (let round = 0; round < VERSIONS; round++) {
      for (let r = block; r < block + BLOCK; r++) {
        const ordinal = (lateFirst(r) ? [2, 3, 1] : [1, 2, 3])[round]!;
        out.push({ releaseId: first + r, version: BASE_MS + r * 10 + ordinal, ordinal, takedown: ordinal === VERSIONS && endsInTakedown(r) });
      }
    }
  }
  return out.slice(0, items);
}

function grouped(items: PlannedItem[], requests: number): PlannedRequest[] {
  const out: PlannedRequest[] = [];
  for (let i = 0, at = 0; i < requests && at < items.length; i++) {
    const size = i % 5 === 4 ? ITEMS_IN_SEVERAL : 1;
    out.push({ items: items.slice(at, at + size), gzip: i % 10 === 9 });
    at += size;
  }
  return out;
}

const ITEMS_PER_REQUEST = (4 + ITEMS_IN_SEVERAL) / 5;

/** `requests` requests over releases from `firstRelease` on. */
export function planRequests(requests: number, firstRelease: number): PlannedRequest[] {
  return grouped(itemsInOrder(firstRelease, Math.ceil(requests * ITEMS_PER_REQUEST) + ITEMS_IN_SEVERAL), requests);
}

/** Requests carrying `items` items in all, over releases from `firstRelease` on. */
export function planItems(items: number, firstRelease: number): PlannedRequest[] {
  return grouped(itemsInOrder(firstRelease, items), items);
}

/** The first release id after every release a plan covers, to start the next plan from. */
export function nextRelease(requests: readonly PlannedRequest[]): number {
  return Math.max(...requests.map((r) => Math.max(...r.items.map((i) => i.releaseId)))) + 1;
}

export function releaseTitle(item: PlannedItem): string {
  return `Release ${item.releaseId} at ${item.version}`;
}

export function trackIds(releaseId: number): number[] {
  return Array.from({ length: TRACKS }, (_, i) => releaseId * 100 + i);
}

export function trackTitle(item: PlannedItem, trackIndex: number): string {
  return `Track ${trackIndex + 1} at ${item.version}`;
}

/** Where a snapshot of this version makes the release and its tracks live now. */
export function liveTerritories(ordinal: number): string[] {
  return [...STREAMED, ROTATING[ordinal - 1]!];
}

function itemOf(item: PlannedItem): object {
  if (item.takedown) return takedownEvent(item.releaseId, item.version);
  return releaseEvent(item.releaseId, item.version, {
    title: releaseTitle(item),
    tracks: trackIds(item.releaseId).map((id, i) => ({ id, title: trackTitle(item, i) })),
    streaming: [{ territories: liveTerritories(item.ordinal) }, SCHEDULED],
    download: [{ territories: DOWNLOAD_ONLY }],
  });
}

export function bodyOf(request: PlannedRequest): Buffer {
  const text = Buffer.from(JSON.stringify(request.items.map(itemOf)));
  return request.gzip ? gzipSync(text) : text;
}
