// A test file's gate world: its own database, Redis prefix, settings, and gates started in
// this process against them (several, to race them), plus a small client for their API.
import type { RedisConnection } from '../../src/queue/redis.js';
import type { Config, EnvName } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { startGate, type Gate } from '../../src/gate/gate.js';
import type { Route } from '../../src/gate/server.js';
import { openRedis } from '../../src/queue/redis.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';

export const PLAYER_TOKEN = 'player-token-0123456789';
export const EDGE_TOKEN = 'edge-token-0123456789abc';
export const GATE_ENV: Partial<Record<EnvName, string>> = {
  FEEDLINE_GATE_PORT: '0',
  FEEDLINE_GATE_KEYS: 'k1:k1-secret-0123456789abcdef0123456789',
  FEEDLINE_GATE_TOKENS: `player:${PLAYER_TOKEN},edge:${EDGE_TOKEN}`,
  FEEDLINE_GATE_MEDIA_BASE_URL: 'http://media.example.test/media',
};

export interface World {
  db: Database;
  config: Config;
  url: string;
  redis: RedisConnection | undefined;
  prefix: string;
  gates: Gate[];
  startGate(options?: { now?: () => number; routes?: Route[]; env?: Partial<Record<EnvName, string>>; nonces?: 'redis' | 'postgres' }): Promise<Gate>;
  close(): Promise<void>;
}

export async function openWorld(testFile: string, options: { redis: boolean; env?: Partial<Record<EnvName, string>> }): Promise<World> {
  const url = await freshDatabase(testFile);
  const prefix = testPrefix(testFile);
  await clearPrefix(prefix);
  const db = await connect(url);
  const redis = options.redis ? await openRedis(REDIS_URL, 'producer') : undefined;
  const env = { DATABASE_URL: url, FEEDLINE_QUEUE_PREFIX: prefix, ...GATE_ENV, ...options.env };
  const config = testConfig(env);
  const world: World = {
    db, config, url, redis, prefix, gates: [],
    async startGate(gateOptions = {}) {
      const gate = await startGate({ config: testConfig({ ...env, ...gateOptions.env }), logger: silentLogger, db, redis: gateOptions.nonces === 'postgres' ? undefined : redis, now: gateOptions.now, routes: gateOptions.routes });
      world.gates.push(gate);
      await waitFor(() => gate.view.healthy());
      return gate;
    },
    async close() {
      for (const gate of world.gates.splice(0)) await gate.close();
      redis?.disconnect();
      await clearPrefix(prefix);
      await db.close();
    },
  };
  return world;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export async function askPlayback(gate: Gate, body: Record<string, unknown>, token = PLAYER_TOKEN): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${gate.port}/v1/playback`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function askAuthorize(gate: Gate, streamUrl: string, token = EDGE_TOKEN): Promise<Answer> {
  const url = new URL(streamUrl);
  const res = await fetch(`http://127.0.0.1:${gate.port}/v1/stream/authorize`, {
    headers: { authorization: `Bearer ${token}`, 'x-original-uri': `${url.pathname}${url.search}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
