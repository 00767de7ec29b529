// Downloads one provider feed file (docs/feeds.md "Provider CSV feeds") into the raw archive:
// HTTPS with certificate checks, OAuth 1.0a signed, timeouts, and bounded retries of the
// failures that may pass (network errors, 5xx, 429). A 404 is an answer, not a failure:
// the feed is not published yet, and the scheduler decides how long to keep asking.
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { setTimeout as delay } from 'node:timers/promises';
import { rootCertificates } from 'node:tls';
import type { Config, FeedSpec } from '../config/schema.js';
import { ExitCode, FeedlineError, UnreachableError, UsageError, isConnectionError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ArchiveStore } from '../archive/store.js';
import { signUrl, type OAuthCredentials } from './oauth.js';
import { systemClock } from '../clock.js';

/** The provider settings a fetch needs; `Config['provider']` satisfies it. */
export type FetchSettings = Pick<
  Config['provider'],
  'baseUrl' | 'consumerKey' | 'consumerSecret' | 'fetchTimeoutMs' | 'fetchRetries' | 'allowHttp' | 'caFile'
>;

export interface FetchFeedOptions {
  /** Where the download lands (ArchiveStore.stage): a local file the ingest then archives. */
  archive: Pick<ArchiveStore, 'stage'>;
  provider: FetchSettings;
  feed: FeedSpec;
  /** The feed's date, YYYY-MM-DD. */
  date: string;
  logger: Logger;
  /** Waits between attempts; tests inject one that returns at once and records the delay. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for backoff jitter; tests inject a fixed value. */
  random?: () => number;
  /** Aborted when the process stops: no further attempt, no wait for one. */
  signal?: AbortSignal;
}

/** `url` never carries the OAuth parameters: it is safe to log and to store. */
export type FetchResult =
  | { outcome: 'fetched'; url: string; path: string; sha256: string; bytes: number }
  | { outcome: 'not_published'; url: string };

/** The provider refused our credentials (401 or 403). Retrying cannot help; an operator must. */
export class FeedAuthError extends FeedlineError {
  readonly code = 'feed_auth';
  readonly exitCode = ExitCode.unexpected;
  constructor(readonly url: string, readonly status: number, readonly reason: string) {
    // The reason first: `feedline status` and the alert show it, the URL is detail.
    super(`the provider refused our OAuth credentials (HTTP ${status})${reason ? `: ${reason}` : ''}; ${url}`);
  }
}

/** Any other answer that is not the feed: an unexpected status, or 5xx/429 after the last retry. */
export class FeedHttpError extends FeedlineError {
  readonly code = 'feed_http';
  /** A server failing (5xx, 429) after every retry is a service down (5), not a usage error. */
  readonly exitCode: ExitCode;
  override readonly retryable: boolean;
  constructor(readonly url: string, readonly status: number, readonly reason: string) {
    super(`HTTP ${status}${status === 404 ? ' (not found)' : ''}${reason ? `: ${reason}` : ''}; ${url}`);
    this.retryable = isRetryableStatus(status);
    this.exitCode = this.retryable ? ExitCode.unreachable : ExitCode.unexpected;
  }
}

// Full-jitter exponential backoff (a random wait in [0, min(cap, base * 2^n))): retries from
// many clients spread out instead of arriving together. Five retries wait about 15 s in all
// on average, well inside one scheduler tick.
const BACKOFF_BASE_MS = 1_000;
const BACKOFF_CAP_MS = 30_000;
// A longer Retry-After is left to the scheduler's next tick rather than held open here.
const MAX_RETRY_AFTER_MS = 5 * 60_000;
const REASON_CHARS = 500;
// TLS verification failures: a wrong certificate does not fix itself between retries.
const CERTIFICATE_ERROR = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/;
// Besides CONNECTION_ERROR_CODES: failures that may pass on a new connection.
const MORE_NETWORK_ERROR_CODES: ReadonlySet<string> = new Set(['ENETUNREACH', 'ECONNABORTED', 'EPROTO', 'ERR_STREAM_PREMATURE_CLOSE']);

/** `${base}/feed/${entity}/${kind}?country=GB&date=YYYYMMDD` for a date given as YYYY-MM-DD. */
export function feedUrl(baseUrl: string, feed: FeedSpec, date: string): string {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!day) throw new UsageError(`feed date must be YYYY-MM-DD, got ${JSON.stringify(date)}`);
  if (!/^[A-Z]{2}$/.test(feed.country)) throw new UsageError(`country must be an ISO 3166 alpha-2 code such as GB, got ${JSON.stringify(feed.country)}`);
  return `${baseUrl.replace(/\/+$/, '')}/feed/${feed.entity}/${feed.kind}?country=${feed.country}&date=${day[1]}${day[2]}${day[3]}`;
}

/** Milliseconds to wait from a Retry-After header (delay-seconds or an HTTP date). */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export async function fetchFeed(options: FetchFeedOptions): Promise<FetchResult> {
  const { provider, feed, date } = options;
  const { baseUrl, consumerKey, consumerSecret } = provider;
  if (!baseUrl) throw new UsageError('FEEDLINE_PROVIDER_BASE_URL is not set');
  if (!consumerKey || !consumerSecret) throw new UsageError('FEEDLINE_OAUTH_CONSUMER_KEY and FEEDLINE_OAUTH_CONSUMER_SECRET must both be set');
  const creds: OAuthCredentials = { consumerKey, consumerSecret };
  const log = options.logger.child({ feed: `${feed.entity}/${feed.kind}`, country: feed.country, date });
  return fetchUrl({ ...options, logger: log }, feedUrl(baseUrl, feed, date), (url) => signUrl(url, creds));
}

/**
 * Downloads any URL the way feeds are fetched (`feedline ingest URL`): https unless
 * FEEDLINE_ALLOW_HTTP, FEEDLINE_FETCH_TIMEOUT_MS, FEEDLINE_FETCH_RETRIES with backoff, and the
 * same errors. `sign` adds credentials to each attempt; without it the URL goes as given.
 */
export async function fetchUrl(options: Omit<FetchFeedOptions, 'feed' | 'date'>, url: string, sign: (url: string) => string = (u) => u): Promise<FetchResult> {
  const { provider } = options;
  const protocol = new URL(url).protocol;
  if (protocol !== 'https:' && !(protocol === 'http:' && provider.allowHttp)) {
    throw new UsageError(`refused by configuration: feeds are fetched over https only, and the provider URL is http (FEEDLINE_ALLOW_HTTP=true allows http for local testing); ${url}`);
  }
  const log = options.logger;
  const ca = provider.caFile === undefined ? undefined : await loadCa(provider.caFile);
  const { signal } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms, undefined, signal ? { signal } : {}));
  const random = options.random ?? Math.random;

  for (let attempt = 1; ; attempt++) {
    signal?.throwIfAborted();
    const lastAttempt = attempt > provider.fetchRetries;
    let retryAfterMs: number | undefined;
    try {
      // Signed per attempt: each request gets its own nonce and timestamp.
      const res = await get(sign(url), ca, provider.fetchTimeoutMs);
      const status = res.statusCode ?? 0;
      log.info({ attempt, status }, 'feed server answered');
      if (status === 200) {
        const staged = await options.archive.stage(res);
        log.info({ sha256: staged.sha256, bytes: staged.bytes }, 'feed fetched');
        return { outcome: 'fetched', url, path: staged.location, sha256: staged.sha256, bytes: staged.bytes };
      }
      if (status === 404) {
        res.resume();
        return { outcome: 'not_published', url };
      }
      if (status === 401 || status === 403) throw new FeedAuthError(url, status, await readReason(res));
      if (!isRetryableStatus(status) || lastAttempt) throw new FeedHttpError(url, status, await readReason(res));
      res.resume();
      retryAfterMs = parseRetryAfter(res.headers['retry-after'], systemClock().getTime());
      if (retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS) {
        throw new FeedHttpError(url, status, `asked to retry after ${Math.ceil(retryAfterMs / 1000)} s; left to the next scheduled attempt`);
      }
    } catch (err) {
      // Our own errors, and archive (disk) failures, are not the network's: no retry.
      if (!isNetworkError(err)) throw err;
      if (lastAttempt || isCertificateError(err)) throw new UnreachableError('feed server', url, { cause: err });
      log.warn({ attempt, err }, 'feed request failed');
    }
    const delayMs = retryAfterMs ?? Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** (attempt - 1)));
    log.info({ attempt, delayMs }, 'retrying feed request');
    await sleep(delayMs);
  }
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

function isNetworkError(err: unknown): boolean {
  if (err instanceof FetchTimeoutError || isConnectionError(err) || isCertificateError(err)) return true;
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && MORE_NETWORK_ERROR_CODES.has(code);
}

function isCertificateError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && CERTIFICATE_ERROR.test(code);
}

/** The extra CA is trusted in addition to Node's root store, not instead of it. */
async function loadCa(caFile: string): Promise<string[]> {
  let pem: string;
  try {
    pem = await readFile(caFile, 'utf8');
  } catch (err) {
    throw new UsageError(`FEEDLINE_CA_FILE ${caFile} cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, { cause: err });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`FEEDLINE_CA_FILE ${caFile} holds no PEM certificate`);
  return [...rootCertificates, pem];
}

class FetchTimeoutError extends Error {
  override name = 'FetchTimeoutError';
}

/**
 * Starts a GET and resolves with the response once its headers arrive. The socket's idle
 * timeout covers connecting, waiting for the headers, and every gap between body chunks;
 * when it fires, the request (or, once answered, the response body) fails with a
 * FetchTimeoutError saying which.
 */
function get(signedUrl: string, ca: string[] | undefined, timeoutMs: number): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const transport = signedUrl.startsWith('https:') ? https : http;
    let response: IncomingMessage | undefined;
    // A fresh connection per attempt (no agent): a retry never reuses a socket that just failed.
    const req = transport.get(signedUrl, { ca, timeout: timeoutMs, agent: false, headers: { 'user-agent': 'feedline' } }, (res) => {
      response = res;
      // Readers (pipeline, for await) add their own listeners; this one keeps a late error on
      // a response that was discarded, or is not piped yet, from becoming an uncaught exception.
      res.on('error', () => undefined);
      resolve(res);
    });
    req.on('timeout', () => {
      if (response) response.destroy(new FetchTimeoutError(`body stalled: no data for ${timeoutMs} ms (FEEDLINE_FETCH_TIMEOUT_MS)`));
      else req.destroy(new FetchTimeoutError(`no response within ${timeoutMs} ms (FEEDLINE_FETCH_TIMEOUT_MS)`));
    });
    req.on('error', reject);
  });
}

/** The first characters of an error body, for the operator; a body that fails to arrive gives ''. */
async function readReason(res: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      chunks.push(chunk);
      size += chunk.length;
      // Four bytes per character at most in UTF-8: enough for REASON_CHARS characters.
      if (size >= REASON_CHARS * 4) break;
    }
  } catch {
    // Best effort: the status already says what happened.
  }
  return Buffer.concat(chunks).toString('utf8').trim().slice(0, REASON_CHARS);
}
