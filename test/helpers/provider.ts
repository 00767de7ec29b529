// A stand-in for the provider's Catalogue Events client, for tests, demos and the benchmark:
// signs RS256 tokens with a key pair generated at start, posts events concurrently and in
// any order, gzips some, retries a non-2XX answer the way the provider does (shortened), and
// reports what was acknowledged.
import { gzipSync } from 'node:zlib';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface ProviderKeys {
  privateKey: CryptoKey;
  publicKeyPem: string;
  publicJwk: JWK;
  kid: string;
}

export async function generateProviderKeys(kid = `k${Date.now().toString(36)}`): Promise<ProviderKeys> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  return { privateKey, publicKeyPem: await exportSPKI(publicKey), publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, kid };
}

/** A token as the provider signs it: 5-minute lifetime; options shift it (`iat: null` leaves it out) for the negative tests. */
export async function signToken(keys: ProviderKeys, options: { iat?: number | null; exp?: number; nbf?: number; jti?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const iat = options.iat === null ? undefined : options.iat ?? now;
  const jwt = new SignJWT({ ...(options.nbf !== undefined ? { nbf: options.nbf } : {}) })
    .setProtectedHeader({ alg: 'RS256', kid: keys.kid, typ: 'JWT' });
  if (iat !== undefined) jwt.setIssuedAt(iat);
  jwt.setExpirationTime(options.exp ?? (iat ?? now) + 300)
    .setJti(options.jti ?? crypto.randomUUID());
  return jwt.sign(keys.privateKey);
}

export interface PostResult {
  status: number;
  body: string;
}

/** One POST of a body (an object is JSON-encoded), optionally gzip-compressed. */
export async function postEvent(url: string, body: unknown, options: { token?: string; gzip?: boolean; timeoutMs?: number } = {}): Promise<PostResult> {
  const text = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  const payload = options.gzip ? gzipSync(text) : Buffer.from(text);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (options.gzip) headers['content-encoding'] = 'gzip';
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const res = await fetch(url, { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
  return { status: res.status, body: await res.text() };
}

export interface DeliveryReport {
  /** Index of each event acknowledged (2XX), in acknowledgement order. */
  acknowledged: number[];
  /** Events still refused after every retry (the provider would park them). */
  parked: { index: number; status: number }[];
  attempts: number;
  statuses: Record<number, number>;
}

export interface DeliveryOptions {
  keys: ProviderKeys;
  concurrency?: number;
  /** Retries after the first attempt (the provider: 6 over 12 hours). */
  retries?: number;
  /** First retry delay; doubles each time (the provider's hours, shortened). */
  retryDelayMs?: number;
  /** Share of bodies sent gzip-compressed. */
  gzipShare?: number;
  /** Deliver in a shuffled order (events arrive out of sequence). */
  shuffle?: boolean;
}

/** Posts every event to its URL, concurrently, retrying non-2XX answers and network errors. */
export async function deliver(events: readonly { url: string; body: unknown }[], options: DeliveryOptions): Promise<DeliveryReport> {
  const order = events.map((_, i) => i);
  if (options.shuffle) order.sort(() => Math.random() - 0.5);
  const report: DeliveryReport = { acknowledged: [], parked: [], attempts: 0, statuses: {} };
  const retries = options.retries ?? 6;
  let next = 0;
  const one = async (index: number) => {
    let last = 0;
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, (options.retryDelayMs ?? 200) * 2 ** (attempt - 1)));
      report.attempts++;
      try {
        const gzip = (options.gzipShare ?? 0) > 0 && (index % Math.round(1 / options.gzipShare!)) === 0;
        const res = await postEvent(events[index]!.url, events[index]!.body, { token: await signToken(options.keys), gzip });
        last = res.status;
      } catch {
        last = 0;
      }
      report.statuses[last] = (report.statuses[last] ?? 0) + 1;
      if (last >= 200 && last < 300) {
        report.acknowledged.push(index);
        return;
      }
    }
    report.parked.push({ index, status: last });
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, async () => {
    while (next < order.length) await one(order[next++]!);
  }));
  return report;
}
