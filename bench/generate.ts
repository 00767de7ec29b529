// Generates provider track feeds (FEEDS.md "Provider CSV feeds") for the benchmark: gzip CSV
// in the provider's exact track format, deterministic for a given seed, streamed to disk.
//
// - A full feed holds ids 1..rows, with no gaps, grouped by release the way the provider
//   publishes them (consecutive track ids, shared artist, release URL, date, ISRC stem).
// - An updates feed of `rows` records over a full feed of `existingIds` rows mixes about
//   85% `U` (ids 1..existingIds, ascending, wrapping round if there are more updates than
//   ids), 10% `I` (new ids above existingIds) and 5% `D`. About 1% of records repeat an id
//   seen up to 50,000 records earlier, with an action where order matters: `I` then `D`
//   (the final state is taken down), `U` then `U` (the later one wins), `D` then `I` (a
//   takedown reversed). So an `I` of an id <= existingIds, or a `D` of an id above it,
//   always follows an earlier record of that id in the same file.
// - Field quirks the parser must survive: titles with commas, doubled quotes and, rarely, a
//   line break inside quotes; quoted `formats` lists ("17,33"); explicit tracks whose version
//   carries "(Explicit)"; empty fields.
//
// Every value comes from one seeded PRNG consumed in a fixed order: the same arguments
// give the same bytes with the same zlib (its gzip header carries no timestamp).
//
// CLI: npx tsx bench/generate.ts --kind full|updates --rows N --seed S --out PATH [--full-rows M]
import { createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

export const TRACK_HEADER = [
  'trackId', 'title', 'version', 'type', 'isrc', 'explicitContent', 'trackNumber', 'discNumber', 'artistId',
  'artistAppearsAs', 'releaseId', 'duration', 'formats', 'price', 'rrp', 'url', 'popularity',
  'streamingReleaseDate', 'licensorID',
] as const;

/** Record order: ids ascending as the provider publishes them, or shuffled (DDEX, other providers). */
export type FeedOrder = 'ascending' | 'random';

export interface FullFeedOptions {
  path: string;
  rows: number;
  seed: number;
  /** Default ascending; random shuffles the records (the header stays first), seeded too. */
  order?: FeedOrder;
}

export interface UpdatesFeedOptions extends FullFeedOptions {
  /** The full feed this updates: it holds ids 1..existingIds (a full feed generated with rows = existingIds). */
  existingIds: number;
}

export interface GeneratedFeed {
  path: string;
  /** Data records written (the header not counted). */
  rows: number;
  /** Size of the gzip file. */
  bytes: number;
}

export async function generateFullFeed({ path, rows, seed, order }: FullFeedOptions): Promise<GeneratedFeed> {
  checkCount('rows', rows, 0);
  return writeGzip(path, rows, ordered(fullFeedLines(rows, seed), seed, order));
}

export async function generateUpdatesFeed({ path, rows, seed, existingIds, order }: UpdatesFeedOptions): Promise<GeneratedFeed> {
  checkCount('rows', rows, 0);
  checkCount('existingIds', existingIds, 1);
  return writeGzip(path, rows, ordered(updatesFeedLines(rows, seed, existingIds), seed, order));
}

/**
 * The records as generated, or shuffled (Fisher-Yates, its own seeded stream). Each yielded
 * line is one whole record, a quoted line break included, so shuffling keeps them whole. A
 * shuffle holds the feed in memory: about 300 MB at 1M rows.
 */
function* ordered(lines: Iterable<string>, seed: number, order: FeedOrder = 'ascending'): Generator<string> {
  if (order === 'ascending') {
    yield* lines;
    return;
  }
  const [header, ...records] = lines;
  const rng = new Random(seed ^ 0x5f3759df);
  for (let i = records.length - 1; i > 0; i--) {
    const j = Math.floor(rng.float() * (i + 1));
    [records[i], records[j]] = [records[j]!, records[i]!];
  }
  if (header !== undefined) yield header;
  yield* records;
}

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}, got ${value}`);
}

// ---------------------------------------------------------------------------------------
// Output: lines are gathered into chunks of about 64 KiB (one write per line would cost more
// than generating it) and pulled by the gzip stream, so memory stays at a few chunks
// whatever the row count: Readable.from only asks the generator for more when gzip drains.

const CHUNK_CHARS = 64 * 1024;

async function writeGzip(path: string, rows: number, lines: Iterable<string>): Promise<GeneratedFeed> {
  await pipeline(Readable.from(chunked(lines)), createGzip(), createWriteStream(path));
  return { path, rows, bytes: (await stat(path)).size };
}

function* chunked(lines: Iterable<string>): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= CHUNK_CHARS) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

// ---------------------------------------------------------------------------------------
// Feeds

function* fullFeedLines(rows: number, seed: number): Generator<string> {
  const rng = new Random(seed);
  const catalogue = new Catalogue(rng);
  yield `${TRACK_HEADER.join(',')}\n`;
  let id = 0;
  while (id < rows) {
    const release = catalogue.release();
    for (let n = 1; n <= release.trackCount && id < rows; n++) {
      id++;
      yield `${trackCsv(rng, catalogue, release, id, n)}\n`;
    }
  }
}

type Action = 'I' | 'U' | 'D';

const INSERT_SHARE = 0.1;
const DELETE_SHARE = 0.05;
const REPEAT_SHARE = 0.01;
/** How far back a repeated id may come from: far enough to cross any apply batch boundary. */
const REPEAT_WINDOW = 50_000;
/** The action that follows an earlier one of the same id, chosen so that order matters. */
const FOLLOW_UP: Record<Action, Action> = { I: 'D', U: 'U', D: 'I' };

function* updatesFeedLines(rows: number, seed: number, existingIds: number): Generator<string> {
  const rng = new Random(seed);
  const catalogue = new Catalogue(rng);
  yield `action,${TRACK_HEADER.join(',')}\n`;

  // Existing ids are visited in ascending order, each kept with the probability that spreads
  // the expected U and D records over the whole full feed (geometric gaps). When more
  // records are expected than there are ids, the walk takes every id and wraps round.
  const keep = Math.min(1, (rows * (1 - REPEAT_SHARE) * (1 - INSERT_SHARE)) / existingIds);
  let cursor = 0;
  const nextExisting = (): number => {
    cursor += keep === 1 ? 1 : 1 + Math.floor(Math.log(1 - rng.float()) / Math.log(1 - keep));
    if (cursor > existingIds) cursor = ((cursor - 1) % existingIds) + 1;
    return cursor;
  };
  let nextNew = existingIds;

  // The last REPEAT_WINDOW records' ids and actions, as a ring.
  const recentIds: number[] = new Array<number>(REPEAT_WINDOW);
  const recentActions: Action[] = new Array<Action>(REPEAT_WINDOW);

  // Changes come a release at a time, as the provider publishes them: a re-priced album
  // updates all its tracks, a label takedown removes a release, a new release inserts its
  // tracks. A run shares the release's fields and its ids are consecutive, which is also what
  // makes real feeds compress about 5:1.
  let release: Release | undefined;
  let runAction: Action = 'U';
  let runLeft = 0;
  let trackNumber = 0;
  for (let line = 0; line < rows; line++) {
    if (!release || runLeft === 0) {
      release = catalogue.release();
      runLeft = rng.int(1, Math.ceil(release.trackCount / 2));
      trackNumber = rng.int(0, release.trackCount - runLeft);
      const kind = rng.float();
      runAction = kind < INSERT_SHARE ? 'I' : kind < INSERT_SHARE + DELETE_SHARE ? 'D' : 'U';
    }
    runLeft--;
    trackNumber++;

    let action: Action;
    let id: number;
    if (line > 0 && rng.chance(REPEAT_SHARE)) {
      const back = rng.int(0, Math.min(line, REPEAT_WINDOW) - 1);
      const slot = (line - 1 - back) % REPEAT_WINDOW;
      id = recentIds[slot]!;
      action = FOLLOW_UP[recentActions[slot]!];
    } else if (runAction === 'I') {
      action = 'I';
      // Provider ids are not dense: leave an occasional hole.
      nextNew += rng.chance(0.05) ? 2 : 1;
      id = nextNew;
    } else {
      action = runAction;
      id = nextExisting();
    }
    recentIds[line % REPEAT_WINDOW] = id;
    recentActions[line % REPEAT_WINDOW] = action;
    yield `${action},${trackCsv(rng, catalogue, release, id, trackNumber)}\n`;
  }
}

// ---------------------------------------------------------------------------------------
// Records

interface Artist {
  id: number;
  name: string;
  slug: string;
}

interface Release {
  id: number;
  slug: string;
  artist: Artist;
  trackCount: number;
  /** ISO 8601 with Z, or empty: the provider leaves it blank for some releases. */
  streamingDate: string;
  licensor: number;
  formats: string;
  price: string;
  /** Country, registrant and year of the release's ISRCs; tracks add a designation code. */
  isrcStem: string;
  firstDesignation: number;
}

const ARTIST_POOL = 20_000;

/** The artists and the release sequence a feed draws from. */
class Catalogue {
  private readonly artists: Artist[] = [];
  private nextReleaseId = 1000;

  constructor(private readonly rng: Random) {
    for (let i = 0; i < ARTIST_POOL; i++) {
      const name = artistName(rng);
      this.artists.push({ id: 100 + i * 7 + rng.int(0, 6), name, slug: slugify(name) });
    }
  }

  artist(): Artist {
    return this.rng.pick(this.artists);
  }

  release(): Release {
    const rng = this.rng;
    this.nextReleaseId += rng.int(1, 4);
    const artist = rng.chance(0.08) ? VARIOUS_ARTISTS : this.artist();
    const trackCount = rng.chance(0.2) ? rng.int(1, 4) : rng.int(8, 22);
    const year = rng.int(1955, 2026);
    const price = rng.chance(0.8) ? '0.99' : '1.29';
    return {
      id: this.nextReleaseId,
      slug: `${slugify(words(rng, rng.int(1, 4)))}${rng.chance(0.3) ? `-${rng.int(1, 9)}` : ''}`,
      artist,
      trackCount,
      streamingDate: rng.chance(0.15) ? '' : isoDate(rng, year),
      licensor: rng.int(1, 400),
      formats: rng.chance(0.6) ? '17' : '17,33',
      price,
      isrcStem: `${rng.pick(ISRC_COUNTRIES)}${alnum(rng, 3)}${String(year % 100).padStart(2, '0')}`,
      firstDesignation: rng.int(0, 99_000),
    };
  }
}

const VARIOUS_ARTISTS: Artist = { id: 5, name: 'Various Artists', slug: 'various-artists' };

function trackCsv(rng: Random, catalogue: Catalogue, release: Release, id: number, trackNumber: number): string {
  // On compilations each track has its own artist; the URL still names the release's.
  const artist = release.artist === VARIOUS_ARTISTS ? catalogue.artist() : release.artist;
  const explicit = rng.chance(0.08);
  const discNumber = release.trackCount > 18 && trackNumber > release.trackCount / 2 ? 2 : 1;
  const popularity = rng.chance(0.4) ? '0.0' : (rng.int(1, 99) / 100).toString();
  const fields = [
    String(id),
    csvField(trackTitle(rng, catalogue, explicit)),
    csvField(trackVersion(rng, explicit)),
    rng.chance(0.99) ? 'Audio' : 'Video',
    `${release.isrcStem}${String(release.firstDesignation + trackNumber).padStart(5, '0')}`,
    String(explicit),
    String(trackNumber),
    String(discNumber),
    String(artist.id),
    csvField(artist.name),
    String(release.id),
    String(rng.int(45, 480)),
    csvField(release.formats),
    release.price,
    release.price,
    `http://www.7digital.com/artist/${release.artist.slug}/release/${release.slug}?h=${String(trackNumber).padStart(2, '0')}`,
    popularity,
    release.streamingDate,
    String(release.licensor),
  ];
  return fields.join(',');
}

function trackTitle(rng: Random, catalogue: Catalogue, explicit: boolean): string {
  const roll = rng.float();
  let title: string;
  if (roll < 0.03) {
    // Classical titles: commas inside the field.
    title = `${rng.pick(COMPOSERS)}: ${rng.pick(FORMS)} No.${rng.int(1, 40)} in ${rng.pick(KEYS)}, Op.${rng.int(1, 130)}`;
  } else if (roll < 0.045) {
    // Doubled quotes inside the field.
    title = `${words(rng, rng.int(1, 3))} (From "${words(rng, rng.int(1, 3))}")`;
  } else if (roll < 0.06) {
    title = `${words(rng, rng.int(1, 4))} (feat. ${catalogue.artist().name})`;
  } else if (roll < 0.0605) {
    // A line break inside a quoted field: rare in real feeds, fatal to a line-based reader.
    title = `${words(rng, rng.int(1, 3))}\n${words(rng, rng.int(1, 3))}`;
  } else {
    title = words(rng, rng.int(1, 5));
  }
  // Some providers put the explicit mark in the title itself.
  return explicit && rng.chance(0.05) ? `${title} (Explicit)` : title;
}

function trackVersion(rng: Random, explicit: boolean): string {
  if (explicit) return rng.pick(EXPLICIT_VERSIONS);
  return rng.chance(0.6) ? '' : rng.pick(VERSIONS);
}

function artistName(rng: Random): string {
  const roll = rng.float();
  if (roll < 0.45) return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
  if (roll < 0.75) return `The ${words(rng, rng.int(1, 2))}s`;
  if (roll < 0.9) return words(rng, rng.int(1, 3));
  if (roll < 0.97) return `${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)} & ${rng.pick(FIRST_NAMES)} ${rng.pick(LAST_NAMES)}`;
  // A comma in an artist name ("Earth, Wind & Fire").
  return `${rng.pick(WORDS)}, ${rng.pick(WORDS)} & ${rng.pick(WORDS)}`;
}

function words(rng: Random, count: number): string {
  let out = rng.pick(WORDS);
  for (let i = 1; i < count; i++) out += ` ${rng.pick(WORDS)}`;
  return out;
}

function slugify(text: string): string {
  return text.toLowerCase().replace(/&/g, 'and').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

function isoDate(rng: Random, year: number): string {
  const month = String(rng.int(1, 12)).padStart(2, '0');
  const day = String(rng.int(1, 28)).padStart(2, '0');
  return `${year}-${month}-${day}T00:00:00Z`;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function alnum(rng: Random, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALNUM[rng.int(0, ALNUM.length - 1)];
  return out;
}

/** RFC 4180 quoting, only where the field needs it (as the provider does). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

// ---------------------------------------------------------------------------------------
// PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting generator), seeded through
// splitmix32 so that neighbouring seeds give unrelated streams. Fast, 32-bit, and plenty
// for test data; never Math.random, whose stream cannot be seeded.

class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 12; i++) this.uint32();
  }

  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.float() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }
}

// ---------------------------------------------------------------------------------------
// Vocabulary (our own, not the provider's samples).

const ISRC_COUNTRIES = ['GB', 'US', 'US', 'US', 'DE', 'FR', 'NL', 'SE', 'IT', 'ES', 'JP', 'CA', 'AU', 'ZA', 'QM', 'QZ', 'BR', 'BE'];

const VERSIONS = [
  'Album Version', 'Radio Edit', 'Remastered', 'Remastered 2009', 'Remastered 2015', 'Live', 'Acoustic',
  'Instrumental', 'Karaoke Version', 'Original Mix', 'Extended Mix', 'Club Mix', 'Demo', 'Mono', 'Stereo',
  'Single Version', 'Original', 'Live at the Apollo, 1986', 'Edit', 'Dub', 'Reprise',
];

/** Includes a bare "(Explicit)", which must not leave empty brackets in a display title. */
const EXPLICIT_VERSIONS = ['', '', 'Album Version (Explicit)', 'Radio Edit (Explicit)', '(Explicit)', 'Remix (Explicit)'];

const COMPOSERS = ['Bach', 'Beethoven', 'Brahms', 'Chopin', 'Debussy', 'Dvorak', 'Handel', 'Haydn', 'Liszt', 'Mahler', 'Mozart', 'Ravel', 'Schubert', 'Schumann', 'Vivaldi'];
const FORMS = ['Sonata', 'Symphony', 'Partita', 'Nocturne', 'Prelude', 'Etude', 'Concerto', 'Impromptu', 'Waltz', 'Mazurka', 'String Quartet'];
const KEYS = ['C', 'C minor', 'D', 'D minor', 'E flat', 'E minor', 'F', 'F sharp minor', 'G', 'G minor', 'A', 'A minor', 'B flat', 'B minor'];

const FIRST_NAMES = [
  'Aaron', 'Ada', 'Alice', 'Amir', 'Ana', 'Andre', 'Anna', 'Ben', 'Bea', 'Billy', 'Carla', 'Chen', 'Chris', 'Clara',
  'Dan', 'Dara', 'David', 'Elena', 'Ella', 'Emil', 'Eva', 'Felix', 'Fatima', 'Grace', 'Hana', 'Hugo', 'Ines', 'Isaac',
  'Ivan', 'Jack', 'James', 'Jin', 'Joe', 'Jon', 'Julia', 'Kai', 'Kate', 'Kofi', 'Lara', 'Leo', 'Lily', 'Lucas',
  'Maya', 'Marco', 'Maria', 'Max', 'Mia', 'Nina', 'Noah', 'Omar', 'Oscar', 'Paul', 'Priya', 'Rosa', 'Ruth', 'Sam',
  'Sara', 'Sofia', 'Tom', 'Uma', 'Victor', 'Wes', 'Yara', 'Yusuf', 'Zoe',
];
const LAST_NAMES = [
  'Adams', 'Alvarez', 'Baker', 'Bell', 'Brooks', 'Brown', 'Castro', 'Chen', 'Clarke', 'Cole', 'Cruz', 'Davies', 'Diaz',
  'Evans', 'Fischer', 'Fox', 'Garcia', 'Gray', 'Green', 'Hall', 'Hayes', 'Hill', 'Ito', 'Jones', 'Kahn', 'Kim', 'King',
  'Lee', 'Lopez', 'Marsh', 'Martin', 'Moreau', 'Morris', 'Nakamura', 'Nash', 'Novak', 'Okafor', 'Olsen', 'Park',
  'Patel', 'Price', 'Reed', 'Reyes', 'Rossi', 'Santos', 'Schmidt', 'Silva', 'Singh', 'Stone', 'Tanaka', 'Taylor',
  'Turner', 'Walsh', 'Ward', 'Weber', 'White', 'Wood', 'Young', 'Zimmer',
];
const WORDS = [
  'After', 'Again', 'Air', 'All', 'Alone', 'Amber', 'Angel', 'April', 'Autumn', 'Baby', 'Back', 'Bad', 'Ballad',
  'Be', 'Beat', 'Believe', 'Better', 'Big', 'Bird', 'Black', 'Blue', 'Boy', 'Break', 'Bright', 'Broken', 'Burn',
  'Call', 'Can\'t', 'Candle', 'City', 'Close', 'Cloud', 'Cold', 'Come', 'Crazy', 'Cry', 'Dance', 'Dark', 'Day',
  'Dead', 'Deep', 'Desert', 'Devil', 'Don\'t', 'Down', 'Dream', 'Drive', 'Dust', 'Echo', 'Electric', 'Empty',
  'End', 'Every', 'Eyes', 'Fall', 'Far', 'Feel', 'Fever', 'Fire', 'Flower', 'Fly', 'Forever', 'Free', 'Friend',
  'Funk', 'Ghost', 'Girl', 'Give', 'Glass', 'Go', 'Gold', 'Gone', 'Good', 'Gravity', 'Green', 'Groove', 'Half',
  'Hands', 'Happy', 'Heart', 'Heat', 'Heaven', 'Hello', 'High', 'Highway', 'Hold', 'Home', 'Honey', 'Hope',
  'Hot', 'House', 'Hunger', 'I', 'Ice', 'In', 'Island', 'It', 'Jungle', 'Just', 'Keep', 'Kid', 'King', 'Kiss',
  'Lady', 'Last', 'Late', 'Left', 'Let', 'Life', 'Light', 'Lights', 'Like', 'Little', 'Live', 'Lonely', 'Long',
  'Lost', 'Love', 'Lover', 'Low', 'Lucky', 'Mad', 'Magic', 'Man', 'Me', 'Memory', 'Midnight', 'Mind', 'Mirror',
  'Money', 'Moon', 'Morning', 'Mountain', 'Music', 'My', 'Never', 'New', 'Night', 'No', 'Nothing', 'Now',
  'Ocean', 'Of', 'On', 'One', 'Only', 'Open', 'Out', 'Over', 'Paradise', 'Party', 'People', 'Pink', 'Play',
  'Please', 'Power', 'Pretty', 'Rain', 'Real', 'Red', 'Remember', 'Rhythm', 'Ride', 'Right', 'River', 'Road',
  'Rock', 'Roll', 'Rose', 'Run', 'Sad', 'Satellite', 'Say', 'Sea', 'Secret', 'See', 'Shadow', 'Shine', 'Silver',
  'Sky', 'Sleep', 'Slow', 'Smoke', 'Snow', 'Song', 'Soul', 'Sound', 'Spring', 'Star', 'Stars', 'Stay', 'Stone',
  'Storm', 'Street', 'Strong', 'Summer', 'Sun', 'Sunday', 'Sweet', 'Take', 'Tears', 'Tell', 'The', 'Thunder',
  'Time', 'To', 'Together', 'Tonight', 'Touch', 'Train', 'True', 'Turn', 'Under', 'Up', 'Velvet', 'Wait',
  'Walk', 'Wall', 'Wanna', 'War', 'Water', 'Wave', 'We', 'Wild', 'Wind', 'Winter', 'With', 'World', 'Yellow',
  'You', 'Young', 'Your', 'Zero',
];

// ---------------------------------------------------------------------------------------
// CLI

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      kind: { type: 'string' },
      rows: { type: 'string' },
      seed: { type: 'string', default: '1' },
      out: { type: 'string' },
      'full-rows': { type: 'string' },
    },
  });
  const usage = 'usage: npx tsx bench/generate.ts --kind full|updates --rows N --seed S --out PATH [--full-rows M]';
  const integer = (name: string, text: string | undefined): number => {
    const value = Number(text);
    if (text === undefined || !Number.isSafeInteger(value)) throw new Error(`--${name} must be an integer\n${usage}`);
    return value;
  };
  if (!values.out || (values.kind !== 'full' && values.kind !== 'updates')) throw new Error(usage);
  const rows = integer('rows', values.rows);
  const seed = integer('seed', values.seed);
  if (values.kind === 'full' && values['full-rows'] !== undefined) throw new Error(`--full-rows only applies to --kind updates\n${usage}`);

  const started = performance.now();
  const result = values.kind === 'full'
    ? await generateFullFeed({ path: values.out, rows, seed })
    : await generateUpdatesFeed({ path: values.out, rows, seed, existingIds: integer('full-rows', values['full-rows'] ?? values.rows) });
  const seconds = (performance.now() - started) / 1000;
  process.stdout.write(`${result.path}: ${result.rows} rows, ${(result.bytes / 1e6).toFixed(1)} MB gzip, ${seconds.toFixed(2)} s\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  });
}
