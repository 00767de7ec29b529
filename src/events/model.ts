// Our working model of the provider's Catalogue Events bodies (docs/feeds.md "Catalogue Events")
// and its mapping onto the catalogue, in one module: adapting to the real schema is one
// change here. Unknown fields pass (the raw body is stored as sent).
import { z } from 'zod';
import { displayTitle } from '../catalogue/display-title.js';
import type { DdexDeal } from '../catalogue/ddex.js';

const id = z.number().int().refine((n) => n !== 0, 'must not be 0');
/** Larger is newer, per release; a positive safe integer (test events aside, which are not applied). */
const version = z.number().int().safe();
const text = z.string().nullish();
const artist = z.object({ id: z.number().int().nullish(), name: z.string(), role: z.string().nullish() }).loose();
const named = z.object({ id: z.number().int().nullish(), name: z.string().nullish() }).loose().nullish();
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:?\d{2}))?$/, 'must be an ISO date').nullish();

const track = z.object({
  id: z.number().int().positive(),
  title: z.string(),
  version: text,
  isrc: text,
  explicitContent: z.boolean().nullish(),
  trackNumber: z.number().int().nullish(),
  discNumber: z.number().int().nullish(),
  duration: z.number().nullish(),
  clipStartPoint: z.number().nullish(),
  artists: z.array(artist).nullish(),
}).loose();

const availabilityEntry = z.object({
  countries: z.array(z.string().regex(/^([A-Z]{2}|Worldwide)$/, 'must be ISO 3166 alpha-2 or Worldwide')).min(1),
  excludedCountries: z.array(z.string().regex(/^[A-Z]{2}$/, 'must be ISO 3166 alpha-2')).nullish(),
  usageTypes: z.array(z.string()).nullish(),
  commercialModels: z.array(z.string()).nullish(),
  startDate: date,
  endDate: date,
}).loose();

const release = z.object({
  title: z.string(),
  version: text,
  type: text,
  barcode: text,
  explicitContent: z.boolean().nullish(),
  releaseDate: date,
  label: named,
  licensor: named,
  artists: z.array(artist).nullish(),
  image: text,
  tags: z.array(z.string()).nullish(),
}).loose();

const snapshot = z.object({
  id,
  version,
  takedown: z.literal(false).optional(),
  release,
  tracks: z.array(track),
  availability: z.array(availabilityEntry),
}).loose();

const takedown = z.object({ id, version, takedown: z.literal(true) }).loose();

/** A test event follows the schema loosely; only its negative id matters. */
const testEvent = z.object({ id: z.number().int().negative(), version }).loose();

/** The branch a body means to be, so a schema error names its own field rather than the other branch's. */
export function standardSchemaFor(body: unknown): typeof takedown | typeof snapshot {
  return (body as { takedown?: unknown } | null)?.takedown === true ? takedown : snapshot;
}
export const enhancedEventSchema = z.object({ id: z.number().int(), version, enhanced: z.record(z.string(), z.unknown()) }).loose();

export type ReleaseSnapshot = z.infer<typeof snapshot>;
export type TakedownEvent = z.infer<typeof takedown>;
export type EnhancedEvent = z.infer<typeof enhancedEventSchema>;
export type AvailabilityEntry = z.infer<typeof availabilityEntry>;
export type EndpointKind = 'standard' | 'enhanced';

/** What the receiver needs to know about a body to store it. */
export interface EventKey {
  itemId: string;
  version: bigint;
  takedown: boolean;
  test: boolean;
}

export type Validation = { ok: true; key: EventKey } | { ok: false; reason: string };

/** Validates a parsed body; the reason names the field (`tracks.1.id: ...`). */
export function validateEvent(endpoint: EndpointKind, body: unknown): Validation {
  const test = testEvent.safeParse(body);
  if (test.success) return { ok: true, key: { itemId: String(test.data.id), version: BigInt(test.data.version), takedown: false, test: true } };
  const parsed = endpoint === 'standard' ? standardSchemaFor(body).safeParse(body) : enhancedEventSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: describeIssues(parsed.error) };
  const data = parsed.data;
  if (data.version <= 0) return { ok: false, reason: 'version: must be a positive integer' };
  const isTakedown = 'takedown' in data && data.takedown === true;
  return { ok: true, key: { itemId: String(data.id), version: BigInt(data.version), takedown: isTakedown, test: false } };
}

function describeIssues(error: z.ZodError): string {
  return error.issues.slice(0, 5).map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
}

/** Day dates are the start of that day, UTC (as DDEX deal windows). */
function instant(value: string | null | undefined): Date | undefined {
  if (!value) return undefined;
  return new Date(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
}

/**
 * Availability entries as deals, so the DDEX availability rules (src/apply/ddex-availability.ts)
 * decide territories, takedown reasons and scheduled windows the same way for both sources.
 * An end date is the last day available: the window closes at the start of the next day.
 */
export function availabilityAsDeals(entries: readonly AvailabilityEntry[]): DdexDeal[] {
  const deals: DdexDeal[] = [];
  for (const entry of entries) {
    const end = instant(entry.endDate);
    const window = {
      useTypes: entry.usageTypes ?? [],
      commercialModelTypes: entry.commercialModels ?? [],
      takeDown: false,
      ...(instant(entry.startDate) ? { validFrom: instant(entry.startDate) } : {}),
      ...(end ? { validUntil: /^\d{4}-\d{2}-\d{2}$/.test(entry.endDate ?? '') ? new Date(end.getTime() + 86_400_000) : end } : {}),
    };
    const named = entry.countries.filter((c) => c !== 'Worldwide');
    if (entry.countries.includes('Worldwide')) {
      const excluded = entry.excludedCountries ?? [];
      deals.push({ ...window, territories: excluded.length > 0 ? { kind: 'excluded', codes: excluded } : { kind: 'included', codes: ['Worldwide'] } });
    }
    if (named.length > 0) deals.push({ ...window, territories: { kind: 'included', codes: named } });
  }
  return deals;
}

function artistNames(artists: readonly { name: string; role?: string | null | undefined }[] | null | undefined): string | null {
  if (!artists || artists.length === 0) return null;
  return artists.map((a) => a.name).join(', ');
}

/** Catalogue columns of the release (names as in src/db/ddex.ts). */
export function releaseColumns(event: ReleaseSnapshot): Record<string, unknown> {
  const r = event.release;
  const durations = event.tracks.map((t) => t.duration);
  return {
    title: r.title,
    version_title: r.version ?? null,
    artist_appears_as: artistNames(r.artists),
    barcode: r.barcode ?? null,
    type: r.type ?? null,
    year: r.releaseDate ? Number(r.releaseDate.slice(0, 4)) : null,
    explicit: r.explicitContent ?? false,
    track_count: event.tracks.length,
    duration_seconds: durations.every((d) => typeof d === 'number') && durations.length > 0 ? Math.round(durations.reduce((a, b) => a! + b!, 0)!) : null,
    release_date: instant(r.releaseDate)?.toISOString() ?? null,
    label_name: r.label?.name ?? null,
    display_title: displayTitle(r.title, r.version, r.explicitContent ?? false),
    raw: { ...r, version: event.version, tracks: event.tracks.map((t) => t.id), availability: event.availability },
  };
}

/** Catalogue columns of one track of the snapshot. */
export function trackColumns(event: ReleaseSnapshot, index: number): Record<string, unknown> {
  const t = event.tracks[index]!;
  return {
    title: t.title,
    version_title: t.version ?? null,
    isrc: t.isrc ?? null,
    explicit: t.explicitContent ?? false,
    track_number: t.trackNumber ?? index + 1,
    artist_appears_as: artistNames(t.artists),
    release_id: String(event.id),
    duration_seconds: typeof t.duration === 'number' ? Math.round(t.duration) : null,
    display_title: displayTitle(t.title, t.version, t.explicitContent ?? false),
    raw: { ...t, releaseId: event.id, eventVersion: event.version },
  };
}
