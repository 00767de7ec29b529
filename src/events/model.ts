// The provider's Catalogue Events bodies in its published shape (docs/feeds.md "Catalogue
// Events") and their mapping onto the catalogue, in one module: adapting to a schema change
// is one change here. A body is a JSON array of items; each item is stored and applied on its
// own. Only what identifies and orders an item is required; a known field, when present, must
// have its published type (a clear refusal naming it beats a silently wrong catalogue);
// unknown fields pass and are kept in the stored item.
import { z } from 'zod';
import type { SnapshotColumns } from '../catalogue/columns.js';
import { displayTitle } from '../catalogue/display-title.js';
import type { DdexDeal } from '../catalogue/ddex.js';
import { INT4_RANGE, storableText, textProblem, timestampProblem } from '../catalogue/storable.js';

const id = z.number().int().refine((n) => n !== 0, 'must not be 0');
/** Larger is newer, per item; a positive safe integer (test events aside, which are not applied). */
const version = z.number().int().safe();
const text = z.string().nullish();
const integer = z.number().int().nullish();
/** Numbers stored in an integer (int4) column, as they are or rounded. */
const int4 = z.number().min(INT4_RANGE.min).max(INT4_RANGE.max);
/** An ISO 8601 date the database can store: a real calendar day, clock and offset (src/catalogue/storable.ts). */
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/, { error: 'must be an ISO 8601 date', abort: true })
  .refine((text) => timestampProblem(text) === undefined, { error: (issue) => `${JSON.stringify(issue.input)} ${timestampProblem(String(issue.input))}` });
const artist = z.object({ id: integer, name: text, normalisedName: text }).loose();
const named = z.object({ id: integer, name: text }).loose();
const date = isoDate.nullish();
/** Availability is read when applied, not here: one we cannot read is loud on its run, never a 400. */
const availabilityField = z.unknown().optional();

const track = z.object({
  id: z.number().int().positive(),
  title: text,
  subtitle: text,
  isrc: text,
  explicitContent: z.boolean().nullish(),
  trackNumber: int4.int().nullish(),
  discNumber: integer,
  duration: int4.nullish(),
  clipStartPoint: z.number().nullish(),
  artist: artist.nullish(),
  downloadAvailability: availabilityField,
  streamingAvailability: availabilityField,
}).loose();

const release = z.object({
  id,
  version,
  takedown: z.literal(false).optional(),
  upc: text,
  title: text,
  subtitle: text,
  genres: z.array(z.string()).nullish(),
  gRid: text,
  cLine: text,
  pLine: text,
  courtesyLine: text,
  type: text,
  explicitContent: z.boolean().nullish(),
  releaseDate: date,
  duration: int4.nullish(),
  artist: artist.nullish(),
  label: named.extend({ licensor: named.nullish() }).loose().nullish(),
  pdfBooklet: named.nullish(),
  downloadAvailability: availabilityField,
  streamingAvailability: availabilityField,
  tracks: z.array(track).nullish(),
}).loose();

const takedown = z.object({ id, version, takedown: z.literal(true) }).loose();

const enhanced = z.object({ version, releaseId: id, trackId: z.number().int().positive() }).loose();

/** A test event follows the schema loosely; only its negative root id matters. */
const testEvent = z.object({ id: z.number().int().negative(), version }).loose();
const testEnhanced = z.object({ releaseId: z.number().int().negative(), version }).loose();

export type ReleaseItem = z.infer<typeof release>;
export type TrackItem = z.infer<typeof track>;
export type EnhancedItem = z.infer<typeof enhanced>;
export type EndpointKind = 'standard' | 'enhanced';
export type StandardItem = { kind: 'release'; release: ReleaseItem } | { kind: 'takedown' };

/** What the receiver needs to know about an item to store it. */
export interface EventKey {
  /** The release id (standard) or the track id (enhanced). */
  itemId: string;
  version: bigint;
  takedown: boolean;
  test: boolean;
}

/** One item of a body, ready to store: its key and its own JSON text (unknown fields kept). */
export interface BodyItem {
  index: number;
  key: EventKey;
  text: string;
  /** A takedown's fields the catalogue could not store (unstorableFields): it is stored and applied by its key, and they are a warning. */
  warnings?: string[];
}

export type ItemValidation = { ok: true; key: EventKey } | { ok: false; reason: string };
export type BodyValidation = { ok: true; items: BodyItem[] } | { ok: false; reasons: string[] };

/** The branch an item means to be, so a schema error names its own field rather than the other branch's. */
function standardSchemaFor(item: unknown): typeof takedown | typeof release {
  return (item as { takedown?: unknown } | null)?.takedown === true ? takedown : release;
}

/** Validates one parsed item; the reason names the field (`tracks.1.id: ...`). */
export function validateItem(endpoint: EndpointKind, item: unknown): ItemValidation {
  if (endpoint === 'standard') {
    const test = testEvent.safeParse(item);
    if (test.success) return { ok: true, key: { itemId: String(test.data.id), version: BigInt(test.data.version), takedown: false, test: true } };
    const parsed = standardSchemaFor(item).safeParse(item);
    if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
    if (parsed.data.version <= 0) return { ok: false, reason: 'version: must be a positive integer' };
    return { ok: true, key: { itemId: String(parsed.data.id), version: BigInt(parsed.data.version), takedown: parsed.data.takedown === true, test: false } };
  }
  const test = testEnhanced.safeParse(item);
  if (test.success) return { ok: true, key: { itemId: String(test.data.releaseId), version: BigInt(test.data.version), takedown: false, test: true } };
  const parsed = enhanced.safeParse(item);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  if (parsed.data.version <= 0) return { ok: false, reason: 'version: must be a positive integer' };
  return { ok: true, key: { itemId: String(parsed.data.trackId), version: BigInt(parsed.data.version), takedown: false, test: false } };
}

/**
 * Validates a parsed body: a JSON array of at least one item. Every invalid item is reported
 * (`item 2: tracks.1.id: ...`); the receiver refuses the whole request when any is, so an
 * acknowledgement always means every item of it is stored (docs/feeds.md "Catalogue Events").
 */
export function validateBody(endpoint: EndpointKind, body: unknown): BodyValidation {
  if (!Array.isArray(body)) return { ok: false, reasons: ['body: must be a JSON array of events'] };
  if (body.length === 0) return { ok: false, reasons: ['body: must hold at least one event'] };
  const items: BodyItem[] = [];
  const reasons: string[] = [];
  body.forEach((item: unknown, index) => {
    const checked = validateItem(endpoint, item);
    if (!checked.ok) {
      reasons.push(`item ${index}: ${checked.reason}`);
      return;
    }
    // A test event is never applied; a takedown needs only its key (docs/design.md invariant 9).
    const unstorable = checked.key.test ? [] : unstorableFields(item);
    if (unstorable.length > 0 && !checked.key.takedown) reasons.push(`item ${index}: ${unstorable.join('; ')}`);
    else items.push({ index, key: checked.key, text: JSON.stringify(item), ...(unstorable.length > 0 ? { warnings: unstorable } : {}) });
  });
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, items };
}

/**
 * Every string of an item (field names too) that PostgreSQL cannot hold, a NUL or a lone
 * surrogate, as `path: problem`: the catalogue stores the item's fields as text and JSON.
 * Its stored body is JSON text, which escapes them, so it can always be stored itself.
 */
export function unstorableFields(value: unknown, path = ''): string[] {
  const at = (key: string) => (path ? `${path}.${storableText(key)}` : storableText(key));
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem === undefined ? [] : [`${path || '(root)'}: ${problem}`];
  }
  if (Array.isArray(value)) return value.flatMap((element, i) => unstorableFields(element, at(String(i))));
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, field]) => {
    const problem = textProblem(key);
    return [...(problem === undefined ? [] : [`${at(key)} (the field name): ${problem}`]), ...unstorableFields(field, at(key))];
  });
}

function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** A stored standard item as the apply reads it. */
export function readStandardItem(item: unknown): StandardItem {
  const parsed = standardSchemaFor(item).parse(item);
  return parsed.takedown === true ? { kind: 'takedown' } : { kind: 'release', release: parsed as ReleaseItem };
}

/** A stored enhanced item: its tags, without what identifies and orders it. */
export function enhancedTags(item: unknown): Record<string, unknown> {
  const { version: _version, releaseId: _releaseId, trackId: _trackId, ...tags } = enhanced.parse(item);
  return tags;
}

// Availability. Streaming availability is the only kind that makes anything playable here;
// download availability is read too, as download-only deals, so a territory only it covers
// is recorded down with `no_streaming_use` rather than missing.

/** The published streaming models, as the DDEX commercial models the availability rules read. */
const USAGE_TYPES: Record<string, string> = {
  subscriptionStreaming: 'SubscriptionModel',
  adSupportedStreaming: 'AdvertisementSupportedModel',
};
const territory = z.string().regex(/^[A-Z]{2}$/, 'must be ISO 3166-1 alpha-2');
const instantText = isoDate.nullish();
const windowFields = { start: instantText, end: instantText, territories: z.array(territory).min(1) };
const streamingEntries = z.array(z.object({
  ...windowFields,
  usageTypes: z.array(z.string().refine((u) => u in USAGE_TYPES, {
    error: (issue) => `unknown usage type ${JSON.stringify(issue.input)} (known: ${Object.keys(USAGE_TYPES).join(', ')})`,
  })).min(1),
}).loose()).nullish();
const downloadEntries = z.array(z.object(windowFields).loose()).nullish();

export type Deals = { ok: true; deals: DdexDeal[] } | { ok: false; reason: string };

/** A date is the start of that day, UTC; an end date is the last day: the window closes at the next day's start. */
function instant(value: string | null | undefined, end: boolean): Date | undefined {
  if (!value) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return new Date(value);
  return new Date(Date.parse(`${value}T00:00:00Z`) + (end ? 86_400_000 : 0));
}

function window(entry: { start?: string | null; end?: string | null }): Pick<DdexDeal, 'validFrom' | 'validUntil'> {
  const from = instant(entry.start, false);
  const until = instant(entry.end, true);
  return { ...(from ? { validFrom: from } : {}), ...(until ? { validUntil: until } : {}) };
}

function readEntries(where: string, streaming: unknown, download: unknown): Deals {
  const s = streamingEntries.safeParse(streaming);
  if (!s.success) return { ok: false, reason: `${where}streamingAvailability: ${describeIssues(s.error)}` };
  const d = downloadEntries.safeParse(download);
  if (!d.success) return { ok: false, reason: `${where}downloadAvailability: ${describeIssues(d.error)}` };
  const deals: DdexDeal[] = [];
  for (const entry of s.data ?? []) {
    deals.push({
      useTypes: ['OnDemandStream'], commercialModelTypes: entry.usageTypes.map((u) => USAGE_TYPES[u]!), takeDown: false,
      territories: { kind: 'included', codes: entry.territories }, ...window(entry),
    });
  }
  for (const entry of d.data ?? []) {
    deals.push({ useTypes: ['PermanentDownload'], commercialModelTypes: ['PayAsYouGoModel'], takeDown: false, territories: { kind: 'included', codes: entry.territories }, ...window(entry) });
  }
  return { ok: true, deals };
}

/** The release's own availability as deals (src/apply/availability.ts decides from them). */
export function releaseDeals(item: ReleaseItem): Deals {
  return readEntries('', item.streamingAvailability, item.downloadAvailability);
}

/** A track's availability: its own lists where it has them, else its release's. */
export function trackDeals(item: ReleaseItem, index: number): Deals {
  const t = tracksOf(item)[index]!;
  return readEntries(`tracks.${index}.`, t.streamingAvailability ?? item.streamingAvailability, t.downloadAvailability ?? item.downloadAvailability);
}

export function tracksOf(item: ReleaseItem): TrackItem[] {
  return item.tracks ?? [];
}

/** Catalogue columns of the release (src/catalogue/columns.ts RELEASE_SNAPSHOT_COLUMNS); the rest of the item is kept in raw. */
export function releaseColumns(item: ReleaseItem): SnapshotColumns<'release'> {
  const tracks = tracksOf(item);
  const durations = tracks.map((t) => t.duration);
  const summed = durations.length > 0 && durations.every((d) => typeof d === 'number') ? durations.reduce((a, b) => a! + b!, 0)! : null;
  const { tracks: _tracks, ...rest } = item;
  return {
    title: item.title ?? null,
    version_title: item.subtitle ?? null,
    artist_appears_as: item.artist?.name ?? null,
    barcode: item.upc ?? null,
    type: item.type ?? null,
    year: item.releaseDate ? Number(item.releaseDate.slice(0, 4)) : null,
    explicit: item.explicitContent ?? false,
    track_count: tracks.length,
    duration_seconds: typeof item.duration === 'number' ? Math.round(item.duration) : summed === null ? null : Math.round(summed),
    release_date: instant(item.releaseDate, false)?.toISOString() ?? null,
    label_name: item.label?.name ?? null,
    display_title: item.title ? displayTitle(item.title, item.subtitle, item.explicitContent ?? false) : null,
    raw: { ...rest, tracks: tracks.map((t) => t.id) },
  };
}

/** Catalogue columns of one track of the release item. */
export function trackColumns(item: ReleaseItem, index: number): SnapshotColumns<'track'> {
  const t = tracksOf(item)[index]!;
  return {
    title: t.title ?? null,
    version_title: t.subtitle ?? null,
    isrc: t.isrc ?? null,
    explicit: t.explicitContent ?? false,
    track_number: t.trackNumber ?? index + 1,
    artist_appears_as: t.artist?.name ?? item.artist?.name ?? null,
    release_id: String(item.id),
    duration_seconds: typeof t.duration === 'number' ? Math.round(t.duration) : null,
    display_title: t.title ? displayTitle(t.title, t.subtitle, t.explicitContent ?? false) : null,
    raw: { ...t, releaseId: item.id, eventVersion: item.version },
  };
}
