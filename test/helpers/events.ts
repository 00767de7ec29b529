// Our own Catalogue Events bodies and a receiver on port 0 for tests (the shared examples
// are checked only by test-samples/).
import { writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Database } from '../../src/db/client.js';
import { storeEvents } from '../../src/db/events.js';
import { createEventDispatcher, type EventDispatcher } from '../../src/events/dispatch.js';
import { loadVerificationKeys, tokenVerifier } from '../../src/events/jwt.js';
import { validateBody, type EndpointKind } from '../../src/events/model.js';
import { storable } from '../../src/events/accept.js';
import { startEventReceiver, type Receiver } from '../../src/events/receiver.js';
import { createLogger } from '../../src/log.js';
import type { RedisConnection } from '../../src/queue/redis.js';
import { generateProviderKeys, type ProviderKeys } from './provider.js';

export const SOURCE = '7digital';

export interface TrackSpec {
  id: number;
  title?: string;
  subtitle?: string | null;
  /** The track's own streaming availability, overriding its release's. */
  streaming?: AvailabilitySpec[];
}

export interface AvailabilitySpec {
  territories: string[];
  usageTypes?: string[];
  start?: string | null;
  end?: string | null;
}

function streamingEntries(specs: readonly AvailabilitySpec[]) {
  return specs.map((a) => ({
    start: a.start === undefined ? '2020-01-01T00:00:00Z' : a.start, end: a.end ?? null, territories: a.territories,
    usageTypes: a.usageTypes ?? ['subscriptionStreaming', 'adSupportedStreaming'],
  }));
}

/** A release item in the published shape: by default two tracks, streamable in GB and IE from 2020. */
export function releaseEvent(id: number, version: number, options: { title?: string; tracks?: TrackSpec[]; streaming?: AvailabilitySpec[]; download?: AvailabilitySpec[] } = {}) {
  const tracks = options.tracks ?? [{ id: id * 10 + 1 }, { id: id * 10 + 2 }];
  const artist = { id: 3, name: 'Test Artist', normalisedName: 'test artist' };
  return {
    version,
    id,
    upc: '0000000000000',
    title: options.title ?? `Release ${id}`,
    subtitle: null,
    genres: ['Test'],
    gRid: null,
    cLine: '(C) Test Label',
    pLine: '(P) Test Label',
    courtesyLine: null,
    type: 'Album',
    explicitContent: false,
    releaseDate: '2020-01-01T00:00:00Z',
    duration: 200 * tracks.length,
    artist,
    label: { id: 1, name: 'Test Label', licensor: { id: 2, name: 'Test Licensor' } },
    futureField: { kept: true },
    ...(options.download ? { downloadAvailability: options.download.map((a) => ({ start: a.start ?? '2020-01-01T00:00:00Z', end: a.end ?? null, territories: a.territories, currencyCode: 'EUR', priceCode: 'A1', packages: [] })) } : {}),
    streamingAvailability: streamingEntries(options.streaming ?? [{ territories: ['GB', 'IE'] }]),
    tracks: tracks.map((t, i) => ({
      id: t.id, title: t.title ?? `Track ${t.id}`, subtitle: t.subtitle ?? null, isrc: `GBTST20${String(t.id).padStart(5, '0').slice(-5)}`,
      explicitContent: false, trackNumber: i + 1, discNumber: 1, duration: 200, clipStartPoint: 30, artist,
      ...(t.streaming ? { streamingAvailability: streamingEntries(t.streaming) } : {}),
    })),
  };
}

export function takedownEvent(id: number, version: number) {
  return { id, version, takedown: true };
}

/** An Enhanced Metadata item for a track. */
export function enhancedEvent(releaseId: number, trackId: number, version: number, tags: Record<string, unknown>) {
  return { version, releaseId, trackId, ...tags };
}

/**
 * The three validation events the provider sends when a service goes live, each with a
 * negative root id: a Maximum Release (every published field), a Minimum Non-Takedown Release
 * (required fields only: nullable ones null, the others omitted) and an Explicit Takedown.
 * With `id` positive they are real events of the same shapes, which must apply.
 */
export function validationEvents(ids: { maximum: number; minimum: number; takedown: number } = { maximum: -1, minimum: -2, takedown: -3 }, version = 1) {
  const artist = { id: 9, name: 'Validation Artist', normalisedName: 'validation artist' };
  const label = { id: 8, name: 'Validation Label', licensor: { id: 7, name: 'Validation Licensor' } };
  const window = { start: '2020-01-01T00:00:00Z', end: null };
  const maximum = {
    ...releaseEvent(ids.maximum, version, { title: 'Maximum Release', tracks: [{ id: Math.abs(ids.maximum) * 10 + 1, subtitle: 'Radio Edit', streaming: [{ territories: ['GB'], usageTypes: ['subscriptionStreaming'] }] }] }),
    subtitle: 'Deluxe', gRid: 'A1000000000000000Z', courtesyLine: 'Courtesy of Validation', explicitContent: true, artist, label,
    pdfBooklet: { id: 6, name: 'Booklet' },
    downloadAvailability: [{ ...window, territories: ['FR'], currencyCode: 'EUR', priceCode: 'A1', packages: [{ id: 2, description: 'Standard', formats: [{ id: 17, description: 'MP3 320' }] }] }],
  };
  maximum.tracks[0]!.explicitContent = true;
  const minimum = {
    version, id: ids.minimum, upc: '0000000000001', title: 'Minimum Release', subtitle: null, gRid: null, cLine: null, pLine: null, courtesyLine: null,
    type: 'Single', explicitContent: false, releaseDate: '2020-01-01T00:00:00Z', artist, label,
  };
  return { maximum, minimum, takedown: takedownEvent(ids.takedown, version) };
}

/** Stores one item in the inbox as the receiver would (a body of that item alone), without HTTP; returns its inbox id. */
export async function storeTestEvent(db: Database, item: object, endpoint: EndpointKind = 'standard', receivedAt = new Date(), iat?: Date): Promise<number> {
  const validation = validateBody(endpoint, [item]);
  if (!validation.ok) throw new Error(validation.reasons.join('; '));
  const [stored] = await storeEvents(db.orm, { endpoint, source: SOURCE, gzip: false, receivedAt, iat, jti: undefined, ackMs: 1 }, validation.items.map(storable));
  if (stored?.outcome !== 'stored') throw new Error(`not stored: ${stored?.outcome}`);
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
