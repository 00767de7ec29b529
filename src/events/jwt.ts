// The provider's bearer token (docs/feeds.md "Catalogue Events"): RS256 only, signed by a key in
// FEEDLINE_EVENTS_PUBLIC_KEY_FILE (a PEM public key or certificate, several PEM blocks, or a
// JWKS), with expiry and not-before checked within a small leeway. Pinning the algorithm
// refuses `alg: none` and the HS256-with-the-public-key confusion before any key is tried.
import { readFile } from 'node:fs/promises';
import { createLocalJWKSet, importSPKI, importX509, jwtVerify, errors, type JWTPayload, type JWK, type CryptoKey } from 'jose';
import { UsageError } from '../errors.js';

const ALGORITHM = 'RS256';

export interface VerifiedToken {
  iat: Date | undefined;
  jti: string | undefined;
}

export type TokenCheck = { ok: true; token: VerifiedToken } | { ok: false; reason: string };

export type TokenVerifier = (authorization: string | undefined) => Promise<TokenCheck>;

type KeySource = ((header: { kid?: string; alg?: string }) => Promise<CryptoKey>) | CryptoKey[];

/** Reads the key file once; a file that holds no usable key is a configuration error (exit 2). */
export async function loadVerificationKeys(file: string): Promise<KeySource> {
  const text = await readFile(file, 'utf8');
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    let jwks: { keys?: JWK[] };
    try {
      jwks = JSON.parse(trimmed) as { keys?: JWK[] };
    } catch {
      throw new UsageError(`FEEDLINE_EVENTS_PUBLIC_KEY_FILE ${file}: not valid JSON`);
    }
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new UsageError(`FEEDLINE_EVENTS_PUBLIC_KEY_FILE ${file}: a JWKS with no keys`);
    return createLocalJWKSet({ keys: jwks.keys }) as unknown as KeySource;
  }
  const blocks = [...trimmed.matchAll(/-----BEGIN (PUBLIC KEY|CERTIFICATE)-----[\s\S]+?-----END \1-----/g)];
  if (blocks.length === 0) throw new UsageError(`FEEDLINE_EVENTS_PUBLIC_KEY_FILE ${file}: no PEM public key, certificate or JWKS in it`);
  try {
    return await Promise.all(blocks.map((b) => (b[1] === 'CERTIFICATE' ? importX509(b[0], ALGORITHM) : importSPKI(b[0], ALGORITHM))));
  } catch (err) {
    throw new UsageError(`FEEDLINE_EVENTS_PUBLIC_KEY_FILE ${file}: ${(err as Error).message}`);
  }
}

/** A verifier over the keys; every refusal says why (never quoting the token). */
export function tokenVerifier(keys: KeySource, leewaySeconds: number): TokenVerifier {
  const options = { algorithms: [ALGORITHM], clockTolerance: leewaySeconds, requiredClaims: ['exp'] };
  const verifyWith = async (token: string): Promise<JWTPayload> => {
    if (!Array.isArray(keys)) return (await jwtVerify(token, keys, options)).payload;
    // PEM keys carry no kid: try each (rotation keeps two or three at most).
    let last: unknown;
    for (const key of keys) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (err) {
        if (!(err instanceof errors.JWSSignatureVerificationFailed)) throw err;
        last = err;
      }
    }
    throw last;
  };
  return async (authorization) => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { ok: false, reason: authorization ? 'authorization is not a Bearer token' : 'no authorization header' };
    try {
      const payload = await verifyWith(match[1]!);
      return {
        ok: true,
        token: {
          iat: typeof payload.iat === 'number' ? new Date(payload.iat * 1000) : undefined,
          jti: typeof payload.jti === 'string' ? payload.jti.slice(0, 200) : undefined,
        },
      };
    } catch (err) {
      return { ok: false, reason: refusal(err) };
    }
  };
}

function refusal(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'token expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `token claim ${err.claim} invalid: ${err.reason}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'token algorithm is not RS256';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'token signature does not match any key';
  if (err instanceof errors.JWKSNoMatchingKey) return 'token signed by no key in the JWKS';
  if (err instanceof errors.JOSEError) return `token refused: ${err.code}`;
  return 'token unreadable';
}
