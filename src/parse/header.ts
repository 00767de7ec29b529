// The header line decides whether a file is a feed of the entity it was named as (README
// "Bad input", header rows): every column once, the entity's own signature, its required
// columns, and the `action` column where the kind needs it. Nothing of a file that does not
// look like a feed at all is quoted back.
import { ENTITIES, type Entity, type FeedKind } from '../config/schema.js';
import { FeedRejectedError } from '../errors.js';
import { ENTITY_FIELDS } from '../catalogue/columns.js';
import { printable, quoted } from './excerpt.js';

/**
 * Each entity's key column. A header's signature is the most specific key it carries: a track
 * header has trackId (and usually releaseId and artistId), a release header has releaseId
 * and no trackId, an artist header has artistId and neither.
 */
const SIGNATURE: readonly [Entity, string][] = [['track', 'trackid'], ['release', 'releaseid'], ['artist', 'artistid']];

const KNOWN_COLUMNS: ReadonlySet<string> = new Set(
  ['action', ...ENTITIES.flatMap((e) => ENTITY_FIELDS[e].map((f) => f.header))].map((h) => h.toLowerCase()),
);

export interface HeaderCheck {
  file: string;
  entity: Entity;
  kind: FeedKind;
}

/** Checks a header's names (trimmed); returns each lower-cased name's position. */
export function checkHeader(names: readonly string[], check: HeaderCheck): Map<string, number> {
  const reject = (reason: string) => new FeedRejectedError(check.file, `line 1: ${reason}`);
  const lower = names.map((n) => n.toLowerCase());
  const looksLikeFeed = lower.some((n) => KNOWN_COLUMNS.has(n));
  const shown = looksLikeFeed ? ` (header: ${printable(names.join(','), 120)})` : '; it does not look like a CSV feed at all (not quoted)';
  const positions = new Map<string, number>();
  for (const [i, name] of lower.entries()) {
    const earlier = positions.get(name);
    if (earlier !== undefined && looksLikeFeed) {
      throw reject(`column ${quoted(names[i]!)} appears twice (columns ${earlier + 1} and ${i + 1}); which one holds the value cannot be known`);
    }
    positions.set(name, i);
  }
  const looksLike = SIGNATURE.find(([, key]) => positions.has(key))?.[0];
  if (looksLike !== undefined && looksLike !== check.entity) {
    const key = SIGNATURE.find(([e]) => e === looksLike)![1];
    throw reject(`this is ${article(looksLike)} header (it has ${names[positions.get(key)!]}), not ${article(check.entity)} header; the entity comes from the file name or --entity${shown}`);
  }
  const missing = ENTITY_FIELDS[check.entity].filter((s) => s.required && !positions.has(s.header.toLowerCase())).map((s) => s.header);
  if (missing.length > 0) {
    throw reject(`header lacks required ${check.entity} column(s) ${missing.join(', ')}; is this a ${check.entity} feed?${shown}`);
  }
  const action = positions.get('action');
  if (check.kind === 'updates' && action !== 0) throw reject('an updates feed must start with an `action` column');
  if (check.kind === 'full' && action !== undefined) throw reject('a full feed has no `action` column; is this an updates feed?');
  return positions;
}

/**
 * Whether a physical line starts like a record of this header: the fields up to the key
 * unquoted, an action of letters where there is one, and a numeric key. Used only to end
 * a quoted field that never closed (src/parse/records.ts).
 */
export function recordStart(positions: ReadonlyMap<string, number>, keyHeader: string): (line: string) => boolean {
  const keyIndex = positions.get(keyHeader.toLowerCase())!;
  const action = positions.get('action');
  const lead = Array.from({ length: keyIndex }, (_, i) => (i === action ? '[ \\t]*[A-Za-z]{0,3}[ \\t]*,' : '[^",\\r\\n]*,')).join('');
  const pattern = new RegExp(`^${lead}[ \\t]*-?[0-9]+[ \\t]*(,|$)`);
  return (line) => pattern.test(line);
}

const article = (entity: Entity) => `${entity === 'artist' ? 'an' : 'a'} ${entity}`;
