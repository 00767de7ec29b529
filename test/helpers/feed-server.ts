// A local stand-in for the provider's feeds API (FEEDS.md "Provider CSV feeds"): HTTPS on
// 127.0.0.1 with a self-signed certificate only the test trusts, OAuth 1.0a checked on
// every request, feeds served by (entity, kind, country, date), 404 for the rest, and
// scriptable faults. Used by the fetch tests and the scheduler tests. It also takes the
// gate's play log (POST /catalogue/log?country=..&userId=.., OAuth-signed as a POST), and
// refuses plays dated more than 61 days ago, as the provider does.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generate } from 'selfsigned';
import type { FeedSpec } from '../../src/config/schema.js';
import { feedUrl } from '../../src/feeds/fetch.js';
import { verifySignedUrl, type OAuthCredentials } from '../../src/feeds/oauth.js';

/** One scripted answer instead of the feed: a status, with optional Retry-After and body. */
export type Fault = number | { status: number; retryAfter?: string; body?: string };

export interface SlowBody {
  /** Bytes per write. */
  chunkBytes: number;
  /** Pause before each write. */
  intervalMs: number;
}

export interface RequestRecord {
  /** Path and query without the oauth_* parameters, as `feedPath` gives it. */
  path: string;
  status: number;
}

export interface FeedServer {
  /** Base URL to use as the provider's baseUrl, e.g. https://127.0.0.1:41234. */
  url: string;
  /** The server's self-signed certificate (PEM), the only CA that trusts it; undefined over http. */
  caPem: string | undefined;
  /** A file holding `caPem`, to pass as the provider's caFile; removed by close(). */
  caFile: string | undefined;
  /** Serves `body` (gzip bytes) for this feed and date from now on. */
  publish(feed: FeedSpec, date: string, body: Buffer): void;
  /** Answers the next requests for this feed and date with these faults, one each, in order. */
  fail(feed: FeedSpec, date: string, faults: Fault[]): void;
  /** Drips this feed's body slowly from now on. */
  slow(feed: FeedSpec, date: string, pace: SlowBody): void;
  /** Every request so far, oldest first. */
  requests(): readonly RequestRecord[];
  /** How many requests this feed and date received. */
  requestCount(feed: FeedSpec, date: string): number;
  /** Stream-log requests the server accepted (2xx), oldest first. */
  loggedPlays(): readonly LoggedPlays[];
  /** Answers the next stream-log requests with these faults, one each, in order. */
  failLog(faults: Fault[]): void;
  close(): Promise<void>;
}

export interface LoggedPlays {
  country: string;
  userId: string;
  plays: { trackId: string; releaseId: string; dateTimePlayed: string; totalTimePlayed: number; endReason: string }[];
  /** Indexes of the plays it refused. */
  rejected: number[];
}

/** The provider refuses stream logs of plays older than this. */
const LOG_MAX_AGE_MS = 61 * 86_400_000;
const LOG_PATH = '/catalogue/log';

export interface FeedServerOptions extends OAuthCredentials {
  /** Plain http, to test FEEDLINE_ALLOW_HTTP; default https. */
  protocol?: 'https' | 'http';
}

/** The path and query the fetch layer requests for a feed and date, without OAuth parameters. */
export function feedPath(feed: FeedSpec, date: string): string {
  return feedUrl('', feed, date);
}

let certificate: Promise<{ cert: string; key: string }> | undefined;

/** One certificate per test process: generating it is the slowest part of starting a server. */
function testCertificate(): Promise<{ cert: string; key: string }> {
  certificate ??= generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    extensions: [
      { name: 'basicConstraints', cA: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] },
    ],
  }).then((pems) => ({ cert: pems.cert, key: pems.private }));
  return certificate;
}

export async function startFeedServer(options: FeedServerOptions): Promise<FeedServer> {
  const protocol = options.protocol ?? 'https';
  const feeds = new Map<string, Buffer>();
  const faults = new Map<string, Fault[]>();
  const paces = new Map<string, SlowBody>();
  const log: RequestRecord[] = [];
  const logFaults: Fault[] = [];
  const logged: LoggedPlays[] = [];
  let origin = '';

  const handleLog = (req: IncomingMessage, received: string, answer: (status: number, body?: string, headers?: Record<string, string>) => void): void => {
    const check = verifySignedUrl(`${origin}${received}`, options, 'POST');
    if (!check.ok) return answer(401, check.reason, { 'content-type': 'text/plain' });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const fault = logFaults.shift();
      if (fault !== undefined) {
        const { status, body } = typeof fault === 'number' ? { status: fault } : fault;
        return answer(status, body ?? `scripted ${status}`);
      }
      const query = new URL(`${origin}${received}`).searchParams;
      const { plays } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { plays: LoggedPlays['plays'] };
      const rejected = plays.flatMap((p, index) => (Date.now() - Date.parse(p.dateTimePlayed) > LOG_MAX_AGE_MS ? [index] : []));
      logged.push({ country: query.get('country') ?? '', userId: query.get('userId') ?? '', plays, rejected });
      answer(200, JSON.stringify({ accepted: plays.length - rejected.length, rejected: rejected.map((index) => ({ index, reason: 'dateTimePlayed is more than 61 days ago' })) }), { 'content-type': 'application/json' });
    });
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const received = req.url ?? '/';
    const key = withoutOAuth(received);
    const answer = (status: number, body: string | Buffer = '', headers: Record<string, string> = {}): void => {
      log.push({ path: key, status });
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    };
    if (req.method === 'POST' && received.startsWith(`${LOG_PATH}?`)) return handleLog(req, received, answer);
    const check = verifySignedUrl(`${origin}${received}`, options);
    if (!check.ok) return answer(401, check.reason, { 'content-type': 'text/plain' });
    const fault = faults.get(key)?.shift();
    if (fault !== undefined) {
      const { status, retryAfter, body } = typeof fault === 'number' ? { status: fault } : fault;
      return answer(status, body ?? `scripted ${status}`, retryAfter === undefined ? {} : { 'retry-after': retryAfter });
    }
    const feed = feeds.get(key);
    if (!feed) return answer(404, 'feed not published', { 'content-type': 'text/plain' });
    const pace = paces.get(key);
    if (!pace) return answer(200, feed, { 'content-type': 'application/gzip' });
    log.push({ path: key, status: 200 });
    res.writeHead(200, { 'content-length': String(feed.length), 'content-type': 'application/gzip' });
    // Headers go out now, so a stall is in the body, not before the response.
    res.flushHeaders();
    drip(res, feed, pace);
  };

  const tls = protocol === 'https' ? await testCertificate() : undefined;
  const server = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handle) : http.createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `${protocol}://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = tls ? await mkdtemp(path.join(tmpdir(), 'feedline-feed-server-')) : undefined;
  const caFile = dir && path.join(dir, 'ca.pem');
  if (tls && caFile) await writeFile(caFile, tls.cert);

  return {
    url: origin,
    caPem: tls?.cert,
    caFile,
    publish: (feed, date, body) => void feeds.set(feedPath(feed, date), body),
    fail: (feed, date, list) => void faults.set(feedPath(feed, date), [...(faults.get(feedPath(feed, date)) ?? []), ...list]),
    slow: (feed, date, pace) => void paces.set(feedPath(feed, date), pace),
    requests: () => log,
    requestCount: (feed, date) => log.filter((record) => record.path === feedPath(feed, date)).length,
    loggedPlays: () => logged,
    failLog: (list) => void logFaults.push(...list),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

function withoutOAuth(received: string): string {
  const [pathname, query = ''] = received.split('?', 2) as [string, string | undefined];
  const kept = query.split('&').filter((pair) => pair && !pair.startsWith('oauth_'));
  return kept.length ? `${pathname}?${kept.join('&')}` : pathname;
}

/** Writes the body a chunk at a time; stops if the client goes away. */
function drip(res: ServerResponse, body: Buffer, pace: SlowBody): void {
  let offset = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(body.subarray(offset, offset + pace.chunkBytes));
    offset += pace.chunkBytes;
    if (offset >= body.length) {
      clearInterval(timer);
      res.end();
    }
  }, pace.intervalMs);
  res.on('close', () => clearInterval(timer));
}
