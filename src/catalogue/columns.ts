// The provider's CSV columns per entity (docs/feeds.md), each with the catalogue column it
// fills and how its text is typed. Columns are found by header name, never by position.
import type { Entity } from '../config/schema.js';

export type FieldType = 'id' | 'ref' | 'text' | 'int' | 'bool' | 'decimal' | 'real' | 'timestamp' | 'list';

export interface FieldSpec {
  /** Header name in the feed (matched case-insensitively). */
  header: string;
  /** Column in the catalogue table. */
  column: string;
  type: FieldType;
  /** A file without this header is not a feed of this entity. */
  required?: boolean;
}

/** PostgreSQL type of each field type, for the typed record set the merge reads. */
export const PG_TYPE: Record<FieldType, string> = {
  id: 'text', ref: 'text', text: 'text', int: 'integer', bool: 'boolean', decimal: 'numeric', real: 'real',
  timestamp: 'timestamptz', list: 'text[]',
};

const f = (header: string, column: string, type: FieldType, required = false): FieldSpec => ({ header, column, type, required });

export const ENTITY_FIELDS: Record<Entity, readonly FieldSpec[]> = {
  track: [
    f('trackId', 'id', 'id', true), f('title', 'title', 'text', true), f('version', 'version_title', 'text'),
    f('type', 'type', 'text'), f('isrc', 'isrc', 'text'), f('explicitContent', 'explicit', 'bool'),
    f('trackNumber', 'track_number', 'int'), f('discNumber', 'disc_number', 'int'), f('artistId', 'artist_id', 'ref'),
    f('artistAppearsAs', 'artist_appears_as', 'text'), f('releaseId', 'release_id', 'ref'),
    f('duration', 'duration_seconds', 'int'), f('formats', 'formats', 'text'), f('price', 'price', 'decimal'),
    f('rrp', 'rrp', 'decimal'), f('url', 'url', 'text'), f('popularity', 'popularity', 'real'),
    f('streamingReleaseDate', 'streaming_release_date', 'timestamp'), f('licensorID', 'licensor_id', 'ref'),
  ],
  release: [
    f('releaseId', 'id', 'id', true), f('title', 'title', 'text', true), f('version', 'version_title', 'text'),
    f('artistId', 'artist_id', 'ref'), f('artistAppearsAs', 'artist_appears_as', 'text'), f('barcode', 'barcode', 'text'),
    f('type', 'type', 'text'), f('year', 'year', 'int'), f('explicitContent', 'explicit', 'bool'),
    f('trackCount', 'track_count', 'int'), f('duration', 'duration_seconds', 'int'), f('tags', 'tags', 'list'),
    f('licensorId', 'licensor_id', 'ref'), f('image', 'image', 'text'), f('dateAdded', 'date_added', 'timestamp'),
    f('releaseDate', 'release_date', 'timestamp'), f('labelId', 'label_id', 'ref'), f('labelName', 'label_name', 'text'),
    f('formats', 'formats', 'text'), f('price', 'price', 'decimal'), f('rrp', 'rrp', 'decimal'), f('url', 'url', 'text'),
  ],
  artist: [
    f('artistId', 'id', 'id', true), f('name', 'name', 'text', true), f('popularity', 'popularity', 'real'),
    f('tags', 'tags', 'list'), f('image', 'image', 'text'), f('url', 'url', 'text'),
  ],
};

/** Catalogue tables and whether their rows carry a display title (tracks and releases do). */
export const ENTITY_TABLE: Record<Entity, { table: string; titled: boolean }> = {
  track: { table: 'tracks', titled: true },
  release: { table: 'releases', titled: true },
  artist: { table: 'artists', titled: false },
};

/** The column of titled tables that holds the displayed title (docs/feeds.md "Displayed titles"). */
const DISPLAY_TITLE_COLUMN = 'display_title';

/**
 * The catalogue columns a whole-release source states for a release and its tracks: a DDEX
 * release (src/apply/ddex.ts) and a Catalogue Events snapshot (src/events/model.ts) fill these
 * and no others. Each is a column of ENTITY_FIELDS, or the display title.
 */
export const RELEASE_SNAPSHOT_COLUMNS = {
  release: [
    'title', 'version_title', 'artist_appears_as', 'barcode', 'type', 'year', 'explicit', 'track_count', 'duration_seconds',
    'release_date', 'label_name', DISPLAY_TITLE_COLUMN,
  ],
  track: [
    'title', 'version_title', 'isrc', 'explicit', 'track_number', 'artist_appears_as', 'release_id', 'duration_seconds', DISPLAY_TITLE_COLUMN,
  ],
} as const;

export type SnapshotEntity = keyof typeof RELEASE_SNAPSHOT_COLUMNS;

/** The columns of a release or track a snapshot writes, each exactly once, and its raw record. */
export type SnapshotColumns<E extends SnapshotEntity> = Record<(typeof RELEASE_SNAPSHOT_COLUMNS)[E][number], unknown> & { raw: unknown };

/** The PostgreSQL type of a catalogue column, from its field's type; throws for a column the entity does not have. */
export function columnPgType(entity: Entity, column: string): string {
  if (column === DISPLAY_TITLE_COLUMN && ENTITY_TABLE[entity].titled) return 'text';
  const field = ENTITY_FIELDS[entity].find((f) => f.column === column);
  if (!field) throw new Error(`${entity} has no catalogue column ${column}`);
  return PG_TYPE[field.type];
}
