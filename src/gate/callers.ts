// Who is calling the gate: a bearer token per calling service, compared in constant time,
// and a token bucket per caller. Tokens are hashed first so every comparison has the same
// length, and every configured token is compared, so timing tells nothing about which one
// came close.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { GateCaller } from '../config/gate.js';

export interface Callers {
  /** The caller's name for an Authorization header, or undefined. */
  identify(authorization: string | undefined): string | undefined;
  /** Takes one request from the caller's bucket; false when it is empty. */
  admit(caller: string, nowMs: number): boolean;
}

export function createCallers(callers: readonly GateCaller[], ratePerSecond: number): Callers {
  const digests = callers.map((c) => ({ name: c.name, digest: sha256(c.token) }));
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    identify(authorization) {
      if (!authorization?.startsWith('Bearer ')) return undefined;
      const given = sha256(authorization.slice(7).trim());
      let found: string | undefined;
      for (const caller of digests) if (timingSafeEqual(given, caller.digest)) found ??= caller.name;
      return found;
    },
    admit(caller, nowMs) {
      let bucket = buckets.get(caller);
      if (!bucket) buckets.set(caller, (bucket = { tokens: ratePerSecond, at: nowMs }));
      bucket.tokens = Math.min(ratePerSecond, bucket.tokens + (Math.max(0, nowMs - bucket.at) / 1000) * ratePerSecond);
      bucket.at = Math.max(bucket.at, nowMs);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
