// What a feed file is: entity, kind, country and date, from flags or from the
// conventional name `{COUNTRY}_{entity}_{kind}_{YYYYMMDD}.csv.gz` (docs/feeds.md).
import path from 'node:path';
import { ENTITIES, FEED_KINDS, type Entity, type FeedKind } from '../config/schema.js';
import { UsageError } from '../errors.js';

export interface FeedIdentity {
  entity: Entity;
  kind: FeedKind;
  country: string;
  /** YYYY-MM-DD */
  date: string;
}

const CONVENTIONAL = /^([A-Z]{2})_(track|release|artist)_(full|updates)_(\d{4})(\d{2})(\d{2})\.csv(\.gz)?$/;

/** The name and flags do not say what the feed is: the file is refused on record (a rejected run). */
export class UnidentifiedFeedError extends UsageError {
  constructor(readonly partial: Partial<FeedIdentity>, message: string) {
    super(message);
  }
}

export function conventionalName(feed: FeedIdentity): string {
  return `${feed.country}_${feed.entity}_${feed.kind}_${feed.date.replaceAll('-', '')}.csv.gz`;
}

export function identifyFeed(fileName: string, given: Partial<FeedIdentity>): FeedIdentity {
  const base = path.basename(fileName.split('?')[0] ?? fileName);
  const match = CONVENTIONAL.exec(base);
  const inferred: Partial<FeedIdentity> = match
    ? { country: match[1], entity: match[2] as Entity, kind: match[3] as FeedKind, date: `${match[4]}-${match[5]}-${match[6]}` }
    : looseIdentity(base);
  const feed = { ...inferred, ...definedOnly(given) };
  const missing = (['entity', 'kind', 'country', 'date'] as const).filter((k) => feed[k] === undefined);
  if (missing.length > 0) {
    // Name only what could not be read: the rest of the name was understood.
    const dashed = missing.includes('date') && /\d{4}-\d{2}-\d{2}/.test(base) ? ' (write the date as YYYYMMDD, without dashes)' : '';
    throw new UnidentifiedFeedError(feed, `cannot tell the feed's ${missing.join(', ')} from the name ${JSON.stringify(path.basename(fileName))}${dashed}; pass ${missing.map((m) => `--${m}`).join(' ')} or use the name COUNTRY_entity_kind_YYYYMMDD.csv.gz`);
  }
  if (!ENTITIES.includes(feed.entity!)) throw new UsageError(`--entity must be one of ${ENTITIES.join(', ')}`);
  if (!FEED_KINDS.includes(feed.kind!)) throw new UsageError(`--kind must be one of ${FEED_KINDS.join(', ')}`);
  if (!/^[A-Z]{2}$/.test(feed.country!)) throw new UsageError(`--country must be an ISO 3166 alpha-2 code such as GB, not ${JSON.stringify(feed.country)}`);
  if (!isCalendarDate(feed.date!)) throw new UsageError(`--date must be a date YYYY-MM-DD, not ${JSON.stringify(feed.date)}`);
  return feed as FeedIdentity;
}

/** Entity, kind and a leading country from words in any other name, e.g. `track-updates-1000.csv.gz`. */
function looseIdentity(name: string): Partial<FeedIdentity> {
  const words = new Set(name.toLowerCase().split(/[^a-z]+/));
  return {
    country: /^([A-Z]{2})_/.exec(name)?.[1],
    entity: ENTITIES.find((e) => words.has(e) || words.has(`${e}s`)),
    kind: FEED_KINDS.find((k) => words.has(k)),
  };
}

export function isCalendarDate(value: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const parsed = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().startsWith(value);
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
