// Single use: the first authorization of a stream URL consumes its nonce, atomically across
// every gate process. In Redis a SET NX that expires with the URL (so Redis holds only live
// nonces); without Redis an insert into gate_nonces, pruned of expired URLs now and then.
import type { RedisConnection } from '../queue/redis.js';
import { claimNonce } from '../queue/nonces.js';
import type { Database } from '../db/client.js';
import { consumeNonce, pruneNonces } from '../db/gate.js';

export interface NonceStore {
  /** True for the first caller only. `validUntilMs`: when the URL stops verifying. */
  consume(nonce: string, validUntilMs: number, nowMs: number): Promise<boolean>;
  /** Forgets nonces of URLs that can no longer verify (a no-op where they expire by themselves). */
  prune(nowMs: number): Promise<void>;
}

export function redisNonces(redis: RedisConnection, prefix: string): NonceStore {
  return {
    async consume(nonce, validUntilMs, nowMs) {
      const remainingMs = Math.max(1_000, Math.ceil(validUntilMs - nowMs));
      return claimNonce(redis, prefix, nonce, remainingMs);
    },
    async prune() {},
  };
}

export function postgresNonces(db: Database): NonceStore {
  return {
    consume: (nonce, validUntilMs) => consumeNonce(db.orm, nonce, new Date(validUntilMs)),
    async prune(nowMs) {
      await pruneNonces(db.orm, new Date(nowMs));
    },
  };
}
