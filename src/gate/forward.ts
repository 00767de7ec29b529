// Forwards stored plays to the provider's stream-log endpoint,
// POST {base}/catalogue/log?country=CC&userId=ID, OAuth 1.0a signed like the feeds, one
// request per (country, user). 2xx: accepted (a body may name plays it refused, by index);
// another 4xx (not 401, 403, 408, 429): refused for good, kept with the reason and alerted once per request; 5xx,
// 429 or a network error: tried again with exponential backoff. Any number of gates may
// forward at once: plays are claimed in PostgreSQL (src/db/plays.ts).
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { claimDuePlays, markForwarded, markRejected, markRetry, type StoredPlay } from '../db/plays.js';
import { coerceError } from '../errors.js';
import { signUrl } from '../feeds/oauth.js';
import type { Logger } from '../log.js';
import { startPeriodic } from '../periodic.js';
import type { Alerter } from '../sla/alerts.js';
import { alertSubject } from '../sla/subjects.js';

const CLAIM_LIMIT = 500;
/** Longer than one round of requests can take, so a live forwarder never loses its claim. */
const CLAIM_HOLD_MS = 120_000;
const REQUEST_TIMEOUT_MS = 30_000;
const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 10 * 60 * 1000;
/** Our credentials or the provider's load, not the plays: worth sending again. */
const RETRYABLE_4XX = new Set([401, 403, 408, 429]);

export interface PlayForwarder {
  /** One round: claim due plays and send them; resolves with how many were sent. */
  runOnce(): Promise<number>;
  stop(): Promise<void>;
}

interface ProviderAnswer {
  status: number;
  body: string;
}

export function createPlayForwarder(deps: { config: Config; db: Database; logger: Logger; alerter: Alerter }): PlayForwarder | undefined {
  const { provider } = deps.config;
  const log = deps.logger.child({ component: 'play-forwarder' });
  if (!provider.baseUrl || !provider.consumerKey || !provider.consumerSecret) {
    log.warn('FEEDLINE_PROVIDER_BASE_URL or the OAuth credentials are not set: plays are stored, not forwarded');
    return undefined;
  }
  if (provider.baseUrl.startsWith('http:') && !provider.allowHttp) {
    log.warn('the provider is plain http and FEEDLINE_ALLOW_HTTP is not set: plays are stored, not forwarded');
    return undefined;
  }
  const creds = { consumerKey: provider.consumerKey, consumerSecret: provider.consumerSecret };
  const endpoint = `${provider.baseUrl.replace(/\/+$/, '')}/catalogue/log`;
  let ca: Promise<string[] | undefined> | undefined;

  const send = async (country: string, userId: string, plays: StoredPlay[]): Promise<ProviderAnswer> => {
    const url = signUrl(`${endpoint}?country=${encodeURIComponent(country)}&userId=${encodeURIComponent(userId)}`, creds, { method: 'POST' });
    const body = JSON.stringify({
      plays: plays.map((p) => ({ trackId: p.trackId, releaseId: p.releaseId, dateTimePlayed: p.playedAt.toISOString(), totalTimePlayed: p.totalTimePlayed, endReason: p.endReason })),
    });
    ca ??= provider.caFile ? readFile(provider.caFile, 'utf8').then((pem) => [...rootCertificates, pem]) : Promise.resolve(undefined);
    return post(url, body, await ca);
  };

  const forwardGroup = async (plays: StoredPlay[]) => {
    const [first] = plays as [StoredPlay];
    let answer: ProviderAnswer;
    try {
      answer = await send(first.country, first.userId, plays);
    } catch (err) {
      answer = { status: 0, body: coerceError(err).message };
    }
    const ids = plays.map((p) => p.id);
    if (answer.status >= 200 && answer.status < 300) {
      const refused = refusedByIndex(answer.body, plays.length);
      await markForwarded(deps.db.orm, ids.filter((_, i) => !refused.has(i)));
      for (const [index, reason] of refused) await markRejected(deps.db.orm, ids[index]!, reason);
      if (refused.size > 0) await alertRejected(deps.alerter, [...refused].map(([i, reason]) => ({ id: ids[i]!, reason })));
    } else if (answer.status >= 400 && answer.status < 500 && !RETRYABLE_4XX.has(answer.status)) {
      const reason = `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
      for (const id of ids) await markRejected(deps.db.orm, id, reason);
      await alertRejected(deps.alerter, ids.map((id) => ({ id, reason })));
    } else {
      const delayMs = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** first.attempts);
      const error = answer.status === 0 ? answer.body : `HTTP ${answer.status}: ${answer.body.slice(0, 200)}`;
      await markRetry(deps.db.orm, ids, error, delayMs);
      log.warn({ status: answer.status, plays: ids.length, retryInMs: delayMs }, 'the provider did not take plays; will retry');
    }
  };

  const runOnce = async () => {
    const due = await claimDuePlays(deps.db.orm, CLAIM_LIMIT, CLAIM_HOLD_MS);
    const groups = new Map<string, StoredPlay[]>();
    for (const play of due) {
      const key = `${play.country}\u001f${play.userId}`;
      groups.set(key, [...(groups.get(key) ?? []), play]);
    }
    for (const group of groups.values()) await forwardGroup(group);
    return due.length;
  };

  const forwarding = startPeriodic({ name: 'forwarding plays', schedule: { everyMs: deps.config.gate.playsForwardIntervalMs }, run: runOnce, logger: log, runAtStart: false, unref: true });
  return {
    runOnce,
    stop: () => forwarding.stop(),
  };
}

/** `{ rejected: [{ index, reason }] }` in a 2xx body: plays the provider refused. */
function refusedByIndex(body: string, count: number): Map<number, string> {
  const refused = new Map<number, string>();
  try {
    const parsed = JSON.parse(body) as { rejected?: { index?: unknown; reason?: unknown }[] };
    for (const entry of parsed.rejected ?? []) {
      if (typeof entry.index === 'number' && entry.index >= 0 && entry.index < count) refused.set(entry.index, String(entry.reason ?? 'rejected'));
    }
  } catch {
    // A body that is not JSON says nothing was refused.
  }
  return refused;
}

async function alertRejected(alerter: Alerter, rejected: { id: number; reason: string }[]): Promise<void> {
  await alerter.raise({
    subject: alertSubject.playsRejected(rejected[0]!.id),
    kind: 'play_rejected',
    state: 'warning',
    message: `the provider refused ${rejected.length} play(s) (first ${rejected[0]!.id}): ${rejected[0]!.reason}; they are kept with the reason`,
    details: { plays: rejected.slice(0, 50) },
  });
}

function post(url: string, body: string, ca: string[] | undefined): Promise<ProviderAnswer> {
  return new Promise((resolve, reject) => {
    const transport = url.startsWith('https:') ? https : http;
    const req = transport.request(url, {
      method: 'POST', ca, timeout: REQUEST_TIMEOUT_MS,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'user-agent': 'feedline' },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
