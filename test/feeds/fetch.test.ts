import { createHash, createHmac } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { directoryArchive } from '../../src/archive/dir.js';
import type { FeedSpec } from '../../src/config/schema.js';
import { UnreachableError, UsageError } from '../../src/errors.js';
import { FeedAuthError, FeedHttpError, fetchFeed, feedUrl, parseRetryAfter, type FetchFeedOptions } from '../../src/feeds/fetch.js';
import { signUrl } from '../../src/feeds/oauth.js';
import { createLogger } from '../../src/log.js';
import { startFeedServer, type FeedServer } from '../helpers/feed-server.js';

const creds = { consumerKey: 'test-key', consumerSecret: 'test-secret-do-not-log' };
const trackUpdates: FeedSpec = { entity: 'track', kind: 'updates', country: 'GB' };
const date = '2026-11-20';
const feedBytes = gzipSync('action,trackId,title\nU,1,"Song, with comma"\nD,2,Gone\n');
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

let server: FeedServer;
let home: string;
let logLines: string[];
let sleeps: number[];

beforeAll(async () => {
  server = await startFeedServer(creds);
});
afterAll(async () => {
  await server.close();
});
beforeEach(async () => {
  home = await mkdtemp(path.join(tmpdir(), 'feedline-fetch-'));
  logLines = [];
  sleeps = [];
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

/** Each test uses its own date, so the shared server's per-feed state never leaks between tests. */
let nextDay = 1;
function freshDate(): string {
  return `2027-01-${String(nextDay++).padStart(2, '0')}`;
}

function options(overrides: Partial<FetchFeedOptions> & { date: string }, provider: Partial<FetchFeedOptions['provider']> = {}): FetchFeedOptions {
  return {
    archive: directoryArchive(home),
    feed: trackUpdates,
    logger: createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } }),
    sleep: async (ms) => void sleeps.push(ms),
    random: () => 0.5,
    ...overrides,
    provider: {
      baseUrl: server.url,
      ...creds,
      fetchTimeoutMs: 2_000,
      fetchRetries: 3,
      allowHttp: false,
      caFile: server.caFile,
      ...provider,
    },
  };
}

describe('feedUrl', () => {
  it('builds the provider path with the date as YYYYMMDD', () => {
    expect(feedUrl('https://feeds.example.com/1.2/', trackUpdates, date)).toBe('https://feeds.example.com/1.2/feed/track/updates?country=GB&date=20261120');
  });

  it('rejects a malformed date', () => {
    expect(() => feedUrl('https://feeds.example.com', trackUpdates, '20261120')).toThrow(UsageError);
  });
});

describe('signUrl', () => {
  it('signs the whole URL, query included, as RFC 5849 HMAC-SHA1 with an empty token secret', () => {
    const signed = signUrl('https://feeds.example.com/feed/track/updates?country=GB&date=20261120', creds, { now: 1_700_000_000_000, nonce: 'abc' });
    const params = 'country=GB&date=20261120&oauth_consumer_key=test-key&oauth_nonce=abc&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1700000000&oauth_version=1.0';
    const base = `GET&${encodeURIComponent('https://feeds.example.com/feed/track/updates')}&${encodeURIComponent(params)}`;
    const expected = createHmac('sha1', `${creds.consumerSecret}&`).update(base).digest('base64');
    expect(signed).toBe(`https://feeds.example.com/feed/track/updates?country=GB&date=20261120&oauth_consumer_key=test-key&oauth_nonce=abc&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1700000000&oauth_version=1.0&oauth_signature=${encodeURIComponent(expected)}`);
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = Date.parse('2026-11-20T10:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7_000);
    expect(parseRetryAfter('Fri, 20 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });
});

describe('fetchFeed', () => {
  it('downloads a published feed into the archive, verifying the certificate and the signature', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);

    const result = await fetchFeed(options({ date: day }));

    expect(result).toEqual({
      outcome: 'fetched',
      url: `${server.url}/feed/track/updates?country=GB&date=${day.replaceAll('-', '')}`,
      path: path.join(home, 'archive', sha256(feedBytes).slice(0, 2), sha256(feedBytes)),
      sha256: sha256(feedBytes),
      bytes: feedBytes.length,
    });
    expect(await readFile((result as { path: string }).path)).toEqual(feedBytes);
    expect(server.requestCount(trackUpdates, day)).toBe(1);
    const logs = logLines.join('');
    expect(logs).toContain('"status":200');
    expect(logs).not.toContain(creds.consumerSecret);
    expect(logs).not.toContain('oauth_');
  });

  it('stores the same content published under two dates once', async () => {
    const [first, second] = [freshDate(), freshDate()];
    server.publish(trackUpdates, first, feedBytes);
    server.publish(trackUpdates, second, feedBytes);

    const a = await fetchFeed(options({ date: first }));
    const b = await fetchFeed(options({ date: second }));

    expect(a.outcome === 'fetched' && b.outcome === 'fetched' && a.path === b.path).toBe(true);
    const shards = await readdir(path.join(home, 'archive'));
    expect(shards).toEqual([sha256(feedBytes).slice(0, 2)]);
    expect(await readdir(path.join(home, 'archive', shards[0]!))).toEqual([sha256(feedBytes)]);
  });

  it('reports a feed that is not published yet (404) without retrying', async () => {
    const day = freshDate();
    const result = await fetchFeed(options({ date: day }));

    expect(result).toEqual({ outcome: 'not_published', url: expect.stringContaining('/feed/track/updates?') });
    expect(server.requestCount(trackUpdates, day)).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('fails with FeedAuthError carrying status and reason on a wrong secret, without retrying', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);

    const failure = fetchFeed(options({ date: day }, { consumerSecret: 'wrong' }));

    await expect(failure).rejects.toBeInstanceOf(FeedAuthError);
    await expect(failure).rejects.toMatchObject({ status: 401, reason: 'invalid signature', retryable: false });
    expect(server.requestCount(trackUpdates, day)).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('keeps only the first 500 characters of a refusal body', async () => {
    const day = freshDate();
    server.fail(trackUpdates, day, [{ status: 403, body: 'x'.repeat(5_000) }]);

    const error = await fetchFeed(options({ date: day })).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(FeedAuthError);
    expect((error as FeedAuthError).reason).toHaveLength(500);
  });

  it('retries a 500 after a jittered backoff, then succeeds', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);
    server.fail(trackUpdates, day, [500]);

    const result = await fetchFeed(options({ date: day }));

    expect(result.outcome).toBe('fetched');
    expect(server.requestCount(trackUpdates, day)).toBe(2);
    // random() = 0.5 of the first backoff window (1 s).
    expect(sleeps).toEqual([500]);
  });

  it('waits as long as a 429 Retry-After asks', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);
    server.fail(trackUpdates, day, [{ status: 429, retryAfter: '2' }]);

    const result = await fetchFeed(options({ date: day }));

    expect(result.outcome).toBe('fetched');
    expect(sleeps).toEqual([2_000]);
  });

  it('gives up after fetchRetries retries with a retryable FeedHttpError', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);
    server.fail(trackUpdates, day, [503, 503, 503]);

    const failure = fetchFeed(options({ date: day }, { fetchRetries: 2 }));

    await expect(failure).rejects.toBeInstanceOf(FeedHttpError);
    await expect(failure).rejects.toMatchObject({ status: 503, retryable: true });
    expect(server.requestCount(trackUpdates, day)).toBe(3);
    expect(sleeps).toEqual([500, 1_000]);
  });

  it('accepts a slow body whose chunks arrive within the timeout', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);
    server.slow(trackUpdates, day, { chunkBytes: 16, intervalMs: 10 });

    const result = await fetchFeed(options({ date: day }, { fetchTimeoutMs: 1_000 }));

    expect(result).toMatchObject({ outcome: 'fetched', sha256: sha256(feedBytes) });
  });

  it('fails a stalled body with a clear error after retrying, leaving nothing in the archive', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);
    server.slow(trackUpdates, day, { chunkBytes: 16, intervalMs: 2_000 });

    const failure = fetchFeed(options({ date: day }, { fetchTimeoutMs: 100, fetchRetries: 1 }));

    await expect(failure).rejects.toBeInstanceOf(UnreachableError);
    await expect(failure).rejects.toThrow(/body stalled: no data for 100 ms \(FEEDLINE_FETCH_TIMEOUT_MS\)/);
    expect(server.requestCount(trackUpdates, day)).toBe(2);
    expect(await readdir(path.join(home, 'archive'))).toEqual([]);
  });

  it('refuses a server certificate that no trusted CA signed, without retrying', async () => {
    const day = freshDate();
    server.publish(trackUpdates, day, feedBytes);

    const error = await fetchFeed(options({ date: day }, { caFile: undefined })).catch((err: unknown) => err);

    expect(error).toBeInstanceOf(UnreachableError);
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
    expect(server.requestCount(trackUpdates, day)).toBe(0);
    expect(sleeps).toEqual([]);
  });
});

describe('fetchFeed over plain http', () => {
  let httpServer: FeedServer;
  beforeAll(async () => {
    httpServer = await startFeedServer({ ...creds, protocol: 'http' });
  });
  afterAll(async () => {
    await httpServer.close();
  });

  it('is refused unless allowHttp is set', async () => {
    httpServer.publish(trackUpdates, date, feedBytes);
    const provider = { baseUrl: httpServer.url, caFile: undefined };

    await expect(fetchFeed(options({ date }, provider))).rejects.toBeInstanceOf(UsageError);
    expect(httpServer.requestCount(trackUpdates, date)).toBe(0);

    const result = await fetchFeed(options({ date }, { ...provider, allowHttp: true }));
    expect(result.outcome).toBe('fetched');
  });
});
