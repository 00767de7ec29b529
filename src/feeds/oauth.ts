// OAuth 1.0a request signing for the provider's feeds API: HMAC-SHA1, consumer key and
// secret, no token, parameters in the query string (7digital style, docs/feeds.md).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import OAuth from 'oauth-1.0a';
import { systemClock } from '../clock.js';

export interface OAuthCredentials {
  consumerKey: string;
  consumerSecret: string;
}

export interface SignOptions {
  /** Signing time in milliseconds since the epoch; tests fix it. */
  now?: number;
  /** Tests fix it; otherwise 16 random bytes as hex. */
  nonce?: string;
  /** The request's method, part of the signature base string; default GET (the feeds). */
  method?: 'GET' | 'POST';
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

const SIGNATURE_METHOD = 'HMAC-SHA1';
const SIGNATURE_PARAM = 'oauth_signature';

function client(creds: OAuthCredentials): OAuth {
  return new OAuth({
    consumer: { key: creds.consumerKey, secret: creds.consumerSecret },
    signature_method: SIGNATURE_METHOD,
    hash_function: (base, key) => createHmac('sha1', key).update(base).digest('base64'),
  });
}

/**
 * Returns `url` with the oauth_* parameters appended to its query string. The caller's
 * query is left byte for byte as given, because the signature covers the final URL
 * (docs/feeds.md) and any re-encoding between signing and sending would break it.
 */
export function signUrl(url: string, creds: OAuthCredentials, options: SignOptions = {}): string {
  const oauth = client(creds);
  const data: OAuth.Data = {
    oauth_consumer_key: creds.consumerKey,
    oauth_nonce: options.nonce ?? randomBytes(16).toString('hex'),
    oauth_signature_method: SIGNATURE_METHOD,
    oauth_timestamp: Math.floor((options.now ?? systemClock().getTime()) / 1000),
    oauth_version: '1.0',
  };
  const params = Object.entries(data).map(([key, value]) => `${key}=${oauth.percentEncode(String(value))}`);
  const unsigned = `${url}${url.includes('?') ? '&' : '?'}${params.join('&')}`;
  const signature = oauth.getSignature({ url: unsigned, method: options.method ?? 'GET' }, undefined, data);
  return `${unsigned}&${SIGNATURE_PARAM}=${oauth.percentEncode(signature)}`;
}

/**
 * Checks a received URL (absolute, as the client addressed it) against the known
 * credentials by recomputing the signature over the URL without oauth_signature.
 */
export function verifySignedUrl(url: string, creds: OAuthCredentials, method: 'GET' | 'POST' = 'GET'): VerifyResult {
  const [base, query = ''] = url.split('?', 2) as [string, string | undefined];
  const pairs = query.split('&').filter(Boolean);
  const signaturePair = pairs.find((pair) => pair.startsWith(`${SIGNATURE_PARAM}=`));
  if (!signaturePair) return { ok: false, reason: 'missing oauth_signature' };
  const rest = pairs.filter((pair) => pair !== signaturePair);
  const oauth = client(creds);
  let params: OAuth.Param;
  let received: Buffer;
  try {
    params = oauth.deParam(rest.join('&'));
    received = Buffer.from(decodeURIComponent(signaturePair.slice(SIGNATURE_PARAM.length + 1)));
  } catch {
    return { ok: false, reason: 'malformed query string' };
  }
  if (params.oauth_consumer_key !== creds.consumerKey) return { ok: false, reason: 'unknown oauth_consumer_key' };
  if (params.oauth_signature_method !== SIGNATURE_METHOD) return { ok: false, reason: `oauth_signature_method must be ${SIGNATURE_METHOD}` };
  if (params.oauth_version !== '1.0') return { ok: false, reason: 'oauth_version must be 1.0' };
  if (typeof params.oauth_nonce !== 'string' || typeof params.oauth_timestamp !== 'string') {
    return { ok: false, reason: 'missing oauth_nonce or oauth_timestamp' };
  }
  // The library merges these with the URL's own parameters, which win; both hold the same values.
  const data: OAuth.Data = {
    oauth_consumer_key: creds.consumerKey,
    oauth_nonce: params.oauth_nonce,
    oauth_signature_method: SIGNATURE_METHOD,
    oauth_timestamp: Number(params.oauth_timestamp),
    oauth_version: '1.0',
  };
  const expected = Buffer.from(oauth.getSignature({ url: `${base}?${rest.join('&')}`, method }, undefined, data));
  const same = expected.length === received.length && timingSafeEqual(expected, received);
  return same ? { ok: true } : { ok: false, reason: 'invalid signature' };
}
