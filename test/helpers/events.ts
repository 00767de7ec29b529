// Our own Catalogue Events bodies and a receiver on port 0 for tests (the shared examples
// are checked only by test-samples/).
import { createHash } from 'node:crypto';
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/client.js';
import { storeEvent } from '../../src/db/events.js';
import { createEventDispatcher, type EventDispatcher } from '../../src/events/dispatch.js';
import { loadVerificationKeys, tokenVerifier } from '../../src/events/jwt.js';
import { validateEvent, type EndpointKind } from '../../src/events/model.js';
import { startEventReceiver, type Receiver } from '../../src/events/receiver.js';
import { eventChangeVersion } from '../../src/events/version.js';
import { createLogger } from '../../src/log.js';
import type { RedisConnection } from '../../src/queue/redis.js';
import { generateProviderKeys, type ProviderKeys } from './provider.js';

export const SOURCE = '7digital';

export interface TrackSpec {
  id: number;
  title?: string;
  version?: string | null;
}

export interface AvailabilitySpec {
  countries: string[];
  excludedCountries?: string[];
  usageTypes?: string[];
  startDate?: string | null;
  endDate?: string | null;
}

/** A release snapshot: by default two tracks, streamable in GB and IE from 2020. */
export function releaseEvent(id: number, version: number, options: { title?: string; tracks?: TrackSpec[]; availability?: AvailabilitySpec[] } = {}) {
  const tracks = options.tracks ?? [{ id: id * 10 + 1 }, { id: id * 10 + 2 }];
  return {
    id,
    version,
    takedown: false,
    release: {
      title: options.title ?? `Release ${id}`,
      version: null,
      type: 'Album',
      barcode: '0000000000000',
      explicitContent: false,
      releaseDate: '2020-01-01T00:00:00Z',
      label: { id: 1, name: 'Test Label' },
      licensor: { id: 2, name: 'Test Licensor' },
      artists: [{ id: 3, name: 'Test Artist', role: 'Primary' }],
      futureField: { kept: true },
    },
    tracks: tracks.map((t, i) => ({
      id: t.id, title: t.title ?? `Track ${t.id}`, version: t.version ?? null, isrc: `GBTST20${String(t.id).padStart(5, '0').slice(-5)}`,
      explicitContent: false, trackNumber: i + 1, discNumber: 1, duration: 200,
      artists: [{ id: 3, name: 'Test Artist', role: 'Primary' }],
    })),
    availability: (options.availability ?? [{ countries: ['GB', 'IE'] }]).map((a) => ({
      countries: a.countries,
      ...(a.excludedCountries ? { excludedCountries: a.excludedCountries } : {}),
      usageTypes: a.usageTypes ?? ['Stream'],
      commercialModels: ['SubscriptionModel'],
      startDate: a.startDate === undefined ? '2020-01-01' : a.startDate,
      endDate: a.endDate ?? null,
    })),
  };
}

export function takedownEvent(id: number, version: number) {
  return { id, version, takedown: true };
}

/** Stores a body in the inbox as the receiver would, without HTTP; returns its inbox id. */
export async function storeTestEvent(db: Database, body: object, endpoint: EndpointKind = 'standard', receivedAt = new Date(), iat?: Date): Promise<number> {
  const text = JSON.stringify(body);
  const validation = validateEvent(endpoint, body);
  if (!validation.ok) throw new Error(validation.reason);
  const { key } = validation;
  const stored = await storeEvent(db.orm, {
    endpoint, source: SOURCE, itemId: key.itemId, version: key.version, changeVersion: eventChangeVersion(key.version),
    takedown: key.takedown, test: key.test, body: text, sha256: createHash('sha256').update(text).digest('hex'),
    bytes: text.length, gzip: false, receivedAt, iat, jti: undefined, ackMs: 1,
  });
  if (stored.outcome !== 'stored') throw new Error(`not stored: ${stored.outcome}`);
  return stored.id;
}

export interface TestReceiver {
  receiver: Receiver;
  dispatcher: EventDispatcher;
  keys: ProviderKeys;
  url(endpoint?: 'standard' | 'enhanced'): string;
  close(): Promise<void>;
}

/** A receiver on a free port whose key file holds a freshly generated key (plus `extraPems`). */
export async function startTestReceiver(db: Database, options: { maxBodyBytes?: number; storeTimeoutMs?: number; redis?: RedisConnection; prefix?: string; keys?: ProviderKeys; keyFileText?: (keys: ProviderKeys) => string; tls?: { certFile: string; keyFile: string } } = {}): Promise<TestReceiver> {
  const keys = options.keys ?? await generateProviderKeys();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'feedline-events-'));
  const keyFile = path.join(dir, 'provider.pem');
  await writeFile(keyFile, options.keyFileText ? options.keyFileText(keys) : keys.publicKeyPem);
  const logger = createLogger({ level: 'silent' });
  const dispatcher = createEventDispatcher(db, options.redis, { source: SOURCE, enhancedWaitSeconds: 3600, prefix: options.prefix ?? 'unused' }, logger);
  const receiver = await startEventReceiver({
    host: '127.0.0.1', port: 0, paths: { standard: '/events/standard', enhanced: '/events/enhanced' },
    verify: tokenVerifier(await loadVerificationKeys(keyFile), 30),
    maxBodyBytes: options.maxBodyBytes ?? 8 * 1024 * 1024, storeTimeoutMs: options.storeTimeoutMs ?? 5000,
    source: SOURCE, db, dispatcher, logger, ...(options.tls ? { tls: options.tls } : {}),
  });
  return {
    receiver, dispatcher, keys,
    url: (endpoint = 'standard') => `${options.tls ? 'https' : 'http'}://127.0.0.1:${receiver.port}/events/${endpoint}`,
    async close() {
      await receiver.close();
      await dispatcher.close();
    },
  };
}
