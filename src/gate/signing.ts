// Signed stream URLs. The token is "keyId.payload.signature": the payload (base64url JSON)
// names source, track, user, country, expiry (Unix seconds) and a random nonce; the
// signature is HMAC-SHA256 with the key named by keyId over the URL's path, the key id and
// the payload, so none of them can change without it failing. Keys rotate: every configured
// key verifies, one signs, so URLs signed before a rotation verify until they expire.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { GateKey } from '../config/gate.js';

export const TOKEN_PARAM = 'token';

export interface Grant {
  source: string;
  trackId: string;
  userId: string;
  country: string;
  /** Unix seconds. */
  expiresAt: number;
  nonce: string;
}

export interface SignedUrl {
  streamUrl: string;
  expiresAt: string;
  keyId: string;
}

export type Verification =
  | { ok: true; grant: Grant }
  | { ok: false; status: 403; reason: 'malformed' | 'unknown_key' | 'bad_signature' }
  | { ok: false; status: 410; reason: 'expired' };

export interface Signer {
  sign(grant: Omit<Grant, 'nonce' | 'expiresAt'>, nowMs: number): SignedUrl;
  /** Checks the URI the client asked for (path and query, as the proxy received it). */
  verify(uri: string, nowMs: number): Verification;
}

export function createSigner(options: { keys: readonly GateKey[]; signingKeyId: string; mediaBaseUrl: string; ttlSeconds: number; skewSeconds: number }): Signer {
  const keys = new Map(options.keys.map((k) => [k.id, Buffer.from(k.secret, 'utf8')]));
  const signingKey = keys.get(options.signingKeyId);
  if (!signingKey) throw new Error(`no signing key ${options.signingKeyId}`);
  const base = new URL(options.mediaBaseUrl);
  const origin = base.origin;
  const basePath = base.pathname.replace(/\/+$/, '');

  return {
    sign(fields, nowMs) {
      const grant: Grant = { ...fields, expiresAt: Math.floor(nowMs / 1000) + options.ttlSeconds, nonce: randomBytes(16).toString('base64url') };
      const path = `${basePath}/${encodeURIComponent(grant.source)}/${encodeURIComponent(grant.trackId)}`;
      const payload = Buffer.from(JSON.stringify([1, grant.source, grant.trackId, grant.userId, grant.country, grant.expiresAt, grant.nonce])).toString('base64url');
      const signature = mac(signingKey, path, options.signingKeyId, payload).toString('base64url');
      return {
        streamUrl: `${origin}${path}?${TOKEN_PARAM}=${options.signingKeyId}.${payload}.${signature}`,
        expiresAt: new Date(grant.expiresAt * 1000).toISOString(),
        keyId: options.signingKeyId,
      };
    },
    verify(uri, nowMs) {
      const question = uri.indexOf('?');
      if (question < 0) return { ok: false, status: 403, reason: 'malformed' };
      const path = uri.slice(0, question);
      const token = new URLSearchParams(uri.slice(question + 1)).get(TOKEN_PARAM);
      const parts = token?.split('.');
      if (!parts || parts.length !== 3) return { ok: false, status: 403, reason: 'malformed' };
      const [keyId, payload, signature] = parts as [string, string, string];
      const key = keys.get(keyId);
      if (!key) return { ok: false, status: 403, reason: 'unknown_key' };
      const expected = mac(key, path, keyId, payload);
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, status: 403, reason: 'bad_signature' };
      const grant = decodePayload(payload);
      if (!grant) return { ok: false, status: 403, reason: 'malformed' };
      if (nowMs > (grant.expiresAt + options.skewSeconds) * 1000) return { ok: false, status: 410, reason: 'expired' };
      return { ok: true, grant };
    },
  };
}

function mac(key: Buffer, path: string, keyId: string, payload: string): Buffer {
  return createHmac('sha256', key).update(`${path}\n${keyId}\n${payload}`).digest();
}

function decodePayload(payload: string): Grant | undefined {
  try {
    const value = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value[0] !== 1 || value.length !== 7) return undefined;
    const [, source, trackId, userId, country, expiresAt, nonce] = value as [number, unknown, unknown, unknown, unknown, unknown, unknown];
    if (typeof source !== 'string' || typeof trackId !== 'string' || typeof userId !== 'string' || typeof country !== 'string' || typeof nonce !== 'string' || typeof expiresAt !== 'number') return undefined;
    return { source, trackId, userId, country, expiresAt, nonce };
  } catch {
    return undefined;
  }
}
