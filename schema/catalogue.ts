// Catalogue state: one row per (source, country, id), per docs/design.md invariants 2-4.
// `source` is the provider ("7digital") or a DDEX sender's PartyId; `id` is the
// source's own identifier (a provider integer, a GRid/ICPN, an ISRC), kept as text.
// Rows are never deleted: a takedown is a tombstone with status `taken_down`.
import { sql } from 'drizzle-orm';
import {
  bigint, boolean, index, integer, jsonb, numeric, pgTable, primaryKey, real, text, timestamp,
} from 'drizzle-orm/pg-core';

/**
 * Columns every catalogue table shares: identity, availability and the version guard.
 * Migration 0007 gives the key columns (and tracks.isrc) COLLATE "C" and each catalogue
 * table fillfactor 90, which drizzle's schema cannot express.
 */
function stateColumns() {
  return {
    source: text('source').notNull(),
    country: text('country').notNull(),
    id: text('id').notNull(),
    /** `live` or `taken_down`. */
    status: text('status').notNull(),
    /** Why the item was taken down (`feed_delete`, `absent_from_full_feed`, a DDEX shape). */
    takedownReason: text('takedown_reason'),
    /** Total order of the change that last wrote the row (src/catalogue/version.ts). */
    changeVersion: bigint('change_version', { mode: 'bigint' }).notNull(),
    takenDownAt: timestamp('taken_down_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
    /** The feed run that last wrote the row. */
    runId: bigint('run_id', { mode: 'number' }),
    /**
     * What the typed columns do not hold: a CSV record's columns the provider added, by header
     * name (null when none); a DDEX item's source details.
     */
    raw: jsonb('raw'),
  };
}

export const tracks = pgTable('tracks', {
  ...stateColumns(),
  title: text('title'),
  versionTitle: text('version_title'),
  type: text('type'),
  isrc: text('isrc'),
  explicit: boolean('explicit'),
  trackNumber: integer('track_number'),
  discNumber: integer('disc_number'),
  artistId: text('artist_id'),
  artistAppearsAs: text('artist_appears_as'),
  releaseId: text('release_id'),
  durationSeconds: integer('duration_seconds'),
  formats: text('formats'),
  price: numeric('price', { precision: 12, scale: 4 }),
  rrp: numeric('rrp', { precision: 12, scale: 4 }),
  url: text('url'),
  popularity: real('popularity'),
  streamingReleaseDate: timestamp('streaming_release_date', { withTimezone: true }),
  licensorId: text('licensor_id'),
  displayTitle: text('display_title'),
}, (t) => [
  // Id before country: every territory of one track (`feedline get`, the gate) is a range of
  // the key, so no second (source, id) index is kept up by every insert (issue 14: that
  // index cost about 2 s of a 1M-row merge). A full feed's reconcile, the one reader by
  // (source, country) alone, scans the table once per full feed instead.
  primaryKey({ columns: [t.source, t.id, t.country] }),
  // A Catalogue Events snapshot replaces its release's whole truth: the tracks stored under
  // that release, whichever source wrote them, are found here (src/events/apply.ts).
  index('tracks_release_idx').on(t.source, t.releaseId),
  // DDEX finds its tracks by ISRC (src/db/ddex.ts storedTerritories); only DDEX rows are
  // keyed by their ISRC, so provider CSV rows (a million a feed) stay out of this index.
  index('tracks_ddex_isrc_idx').on(t.source, t.isrc).where(sql`id = isrc`),
]);

export const releases = pgTable('releases', {
  ...stateColumns(),
  title: text('title'),
  versionTitle: text('version_title'),
  artistId: text('artist_id'),
  artistAppearsAs: text('artist_appears_as'),
  barcode: text('barcode'),
  type: text('type'),
  year: integer('year'),
  explicit: boolean('explicit'),
  trackCount: integer('track_count'),
  durationSeconds: integer('duration_seconds'),
  tags: text('tags').array(),
  licensorId: text('licensor_id'),
  image: text('image'),
  dateAdded: timestamp('date_added', { withTimezone: true }),
  releaseDate: timestamp('release_date', { withTimezone: true }),
  labelId: text('label_id'),
  labelName: text('label_name'),
  formats: text('formats'),
  price: numeric('price', { precision: 12, scale: 4 }),
  rrp: numeric('rrp', { precision: 12, scale: 4 }),
  url: text('url'),
  displayTitle: text('display_title'),
}, (t) => [
  // Id before country, as for tracks: a DDEX release's rows in every territory are a range of the key.
  primaryKey({ columns: [t.source, t.id, t.country] }),
]);

export const artists = pgTable('artists', {
  ...stateColumns(),
  name: text('name'),
  popularity: real('popularity'),
  tags: text('tags').array(),
  image: text('image'),
  url: text('url'),
}, (t) => [primaryKey({ columns: [t.source, t.id, t.country] })]);
