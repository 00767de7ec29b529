// DDEX identity and licensing links (issue 5). A release is keyed in the catalogue by one
// identifier (GRid, else ICPN, else a namespaced ProprietaryId), but senders do not repeat
// every key in every message (a purge may name only the ICPN), so every key a release was
// ever sent with leads back to that one id. A track is licensed if ANY release of its sender
// licenses it, so each release's tracks are kept with the deals that license them there.
import { sql } from 'drizzle-orm';
import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/** Every key a release has been sent with -> the id its catalogue rows are keyed by. */
export const ddexReleaseKeys = pgTable('ddex_release_keys', {
  /** The sender's PartyId. */
  source: text('source').notNull(),
  /** `grid` | `icpn` | `proprietary` (key is `namespace:value`). */
  keyKind: text('key_kind').notNull(),
  key: text('key').notNull(),
  releaseId: text('release_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [
  primaryKey({ columns: [t.source, t.keyKind, t.key] }),
  index('ddex_release_keys_release_idx').on(t.source, t.releaseId),
]);

/**
 * A release's sound recordings and the deals that license each one on that release (the
 * release's deals plus its track-level release's). Written by the message that last won the
 * release's version guard; a purge or a message that drops the track leaves the link with no
 * deals, so its version still guards against an older message.
 */
export const ddexReleaseTracks = pgTable('ddex_release_tracks', {
  source: text('source').notNull(),
  releaseId: text('release_id').notNull(),
  isrc: text('isrc').notNull(),
  /** DdexDeal[] as JSON (dates as ISO strings): src/db/ddex.ts. */
  deals: jsonb('deals').notNull(),
  /** The version of the message that wrote the link (src/catalogue/version.ts). */
  changeVersion: bigint('change_version', { mode: 'bigint' }).notNull(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().default(sql`now()`),
}, (t) => [
  primaryKey({ columns: [t.source, t.releaseId, t.isrc] }),
  index('ddex_release_tracks_isrc_idx').on(t.source, t.isrc),
]);
