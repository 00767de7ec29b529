// The Catalogue Events receiver (docs/feeds.md "Catalogue Events"): plain node:http (or https
// with FEEDLINE_EVENTS_TLS_*), one POST endpoint per metadata type. A request is answered 2XX
// only after every item of its body is committed to the inbox, each as its own event, in one
// transaction; a body with any invalid item is refused whole (400, every reason recorded), and so
// is one whose item (a takedown aside) holds a string PostgreSQL cannot store. Within
// the provider's 10 s it is answered either way: a store that takes longer than FEEDLINE_EVENTS_STORE_TIMEOUT_MS (PostgreSQL
// away) is a 503, which the provider retries. Concurrent requests share one transaction and
// commit (src/events/group-store.ts); what a group stored goes to apply as one hand-off, after
// the answers. A request costs no query besides its group's store.
import { readFile } from 'node:fs/promises';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Database } from '../db/client.js';
import type { StoreOutcome } from '../db/events.js';
import { coerceError } from '../errors.js';
import type { Logger } from '../log.js';
import { readEventBody } from './body.js';
import type { EventDispatcher } from './dispatch.js';
import type { TokenVerifier } from './jwt.js';
import { acceptBody } from './accept.js';
import { groupCommitInbox, type GroupCommitInbox } from './group-store.js';
import type { BodyItem, EndpointKind } from './model.js';
import { systemClock } from '../clock.js';

export interface ReceiverOptions {
  host: string;
  port: number;
  tls?: { certFile: string; keyFile: string };
  paths: Record<EndpointKind, string>;
  verify: TokenVerifier;
  maxBodyBytes: number;
  storeTimeoutMs: number;
  source: string;
  db: Database;
  dispatcher: EventDispatcher;
  logger: Logger;
}

export interface Receiver {
  port: number;
  /** Its store's group commits so far. */
  groups: GroupCommitInbox['stats'];
  close(): Promise<void>;
}

class StoreTimeout extends Error {}

/** Enough for a few hundred requests of a few items each in one commit, small enough to stay one quick statement. */
const MAX_GROUP_ITEMS = 1000;
const MAX_GROUP_BYTES = 8 * 1024 * 1024;

export async function startEventReceiver(options: ReceiverOptions): Promise<Receiver> {
  const log = options.logger.child({ component: 'events-receiver' });
  const inbox = groupCommitInbox(options.db.orm, {
    maxItems: MAX_GROUP_ITEMS,
    maxBytes: MAX_GROUP_BYTES,
    onStored: (ids) => options.dispatcher.submitAll(ids),
  });
  const endpoints = new Map<string, EndpointKind>([[options.paths.standard, 'standard'], [options.paths.enhanced, 'enhanced']]);
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err: coerceError(err) }, 'event request failed');
      if (!res.headersSent) answer(res, 500, { error: 'internal error' });
    });
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const receivedAt = systemClock();
    const url = (req.url ?? '/').split('?')[0]!;
    if (url === '/healthz' && req.method === 'GET') return answer(res, 200, { status: 'ok' });
    const endpoint = endpoints.get(url);
    if (!endpoint) return drain(req, res, 404, { error: 'no such endpoint' });
    if (req.method !== 'POST') return drain(req, res, 405, { error: 'POST only' });
    const token = await options.verify(req.headers.authorization);
    if (!token.ok) {
      log.warn({ endpoint, reason: token.reason, remote: req.socket.remoteAddress }, 'event refused: 401');
      return drain(req, res, 401, { error: 'unauthorized' });
    }
    const body = await readEventBody(req, options.maxBodyBytes);
    if (!body.ok) {
      log.warn({ endpoint, status: body.status, reason: body.reason }, 'event body refused');
      return answer(res, body.status, { error: body.reason });
    }
    const accepted = await withinDeadline((signal) => acceptBody(inbox, {
      endpoint, source: options.source, text: body.text, gzip: body.gzip, receivedAt, iat: token.token.iat, jti: token.token.jti,
      ackMs: () => performance.now() - started, signal,
    }));
    if (accepted === 'unavailable') return unavailable(res);
    if (!accepted.accepted) {
      log.warn({ endpoint, reason: accepted.reason }, 'event request rejected: 400 (recorded)');
      return answer(res, 400, { error: accepted.reason, reasons: accepted.reasons });
    }
    respondStored(res, accepted.outcomes, accepted.items);
    accepted.outcomes.forEach((outcome, i) => {
      if (outcome.outcome !== 'stored') return;
      const { key, warnings } = accepted.items[i]!;
      if (warnings) log.warn({ endpoint, itemId: key.itemId, version: key.version.toString(), warnings }, 'a takedown with fields the catalogue cannot store: stored, applied by its key');
      if (outcome.conflicting) log.warn({ endpoint, itemId: key.itemId, version: key.version.toString() }, 'a different body under a version already stored: stored and flagged');
    });
  };

  /** The store, or `unavailable` when PostgreSQL does not answer in time or is away. */
  const withinDeadline = async <T>(store: (signal: AbortSignal) => Promise<T>): Promise<T | 'unavailable'> => {
    let timer: NodeJS.Timeout | undefined;
    const abandoned = new AbortController();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new StoreTimeout());
        abandoned.abort(new StoreTimeout());
      }, options.storeTimeoutMs);
    });
    try {
      return await Promise.race([store(abandoned.signal), deadline]);
    } catch (err) {
      log.error({ err: err instanceof StoreTimeout ? `no answer from PostgreSQL in ${options.storeTimeoutMs} ms` : coerceError(err) }, 'event not stored: 503');
      return 'unavailable';
    } finally {
      clearTimeout(timer);
    }
  };

  const server = options.tls
    ? https.createServer({ cert: await readFile(options.tls.certFile), key: await readFile(options.tls.keyFile) }, handler)
    : http.createServer(handler);
  // A request still arriving after 9 s could not be answered in the provider's 10 s anyway.
  server.requestTimeout = 9_000;
  server.headersTimeout = 9_000;
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  log.info({ host: options.host, port, tls: Boolean(options.tls), paths: options.paths }, 'events receiver listening');
  return {
    port,
    groups: inbox.stats,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
    }),
  };
}

const DESCRIPTION: Record<StoreOutcome['outcome'], string> = {
  stored: 'stored', duplicate: 'duplicate', test: 'test event: acknowledged, not applied',
};

/** 202 when any item was newly stored for apply, else 200; each item's outcome (and warnings) in body order. */
function respondStored(res: ServerResponse, outcomes: readonly StoreOutcome[], bodyItems: readonly BodyItem[]): void {
  const items = outcomes.map((o, index) => ({
    index, status: DESCRIPTION[o.outcome], ...(o.outcome === 'stored' ? { id: o.id, ...(o.conflicting ? { conflicting: true } : {}) } : {}),
    ...(bodyItems[index]?.warnings ? { warnings: bodyItems[index].warnings } : {}),
  }));
  const stored = outcomes.some((o) => o.outcome === 'stored');
  const status = stored ? 'stored' : outcomes.every((o) => o.outcome === 'test') ? DESCRIPTION.test : 'duplicate';
  answer(res, stored ? 202 : 200, { status, items });
}

function unavailable(res: ServerResponse): void {
  res.setHeader('Retry-After', '30');
  answer(res, 503, { error: 'event store unavailable; retry' });
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Answers without reading a body we refuse, discarding what arrives. */
function drain(req: IncomingMessage, res: ServerResponse, status: number, body: Record<string, unknown>): void {
  req.resume();
  answer(res, status, body);
}
