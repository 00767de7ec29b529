// Signed stream URLs: what verifies, what is refused and with which status.
import { describe, expect, it } from 'vitest';
import { createSigner, type Signer } from '../../src/gate/signing.js';

const K1 = { id: 'k1', secret: 'k1-secret-0123456789abcdef0123456789' };
const K2 = { id: 'k2', secret: 'k2-secret-0123456789abcdef0123456789' };
const NOW = Date.parse('2026-12-01T12:00:00Z');
const FIELDS = { source: '7digital', trackId: '2001', userId: 'user-1', country: 'GB' };

function signer(keys = [K1], signingKeyId = 'k1'): Signer {
  return createSigner({ keys, signingKeyId, mediaBaseUrl: 'https://media.example.test/media', ttlSeconds: 3600, skewSeconds: 30 });
}

/** The URI a proxy forwards: path and query. */
function uriOf(streamUrl: string): string {
  const url = new URL(streamUrl);
  return `${url.pathname}${url.search}`;
}

function payloadOf(uri: string): unknown[] {
  const token = new URL(`https://x${uri}`).searchParams.get('token')!;
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as unknown[];
}

function withPayload(uri: string, payload: unknown[]): string {
  const token = new URL(`https://x${uri}`).searchParams.get('token')!;
  const [keyId, , signature] = token.split('.');
  return `${uri.split('?')[0]}?token=${keyId}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`;
}

describe('signed stream URLs', () => {
  const s = signer();
  const signed = s.sign(FIELDS, NOW);
  const uri = uriOf(signed.streamUrl);

  it('is the media base, the source and track, and a token; expires after the lifetime', () => {
    expect(signed.streamUrl).toMatch(/^https:\/\/media\.example\.test\/media\/7digital\/2001\?token=k1\.[\w-]+\.[\w-]+$/);
    expect(signed.expiresAt).toBe('2026-12-01T13:00:00.000Z');
    expect(signed.keyId).toBe('k1');
  });
  it('verifies, giving back what was signed', () => {
    const result = s.verify(uri, NOW + 1000);
    expect(result).toMatchObject({ ok: true, grant: { ...FIELDS, expiresAt: NOW / 1000 + 3600 } });
  });
  it('a tampered path is a bad signature', () => {
    expect(s.verify(uri.replace('/2001?', '/2002?'), NOW)).toMatchObject({ ok: false, status: 403, reason: 'bad_signature' });
  });
  it('a tampered expiry, user or country is a bad signature', () => {
    const payload = payloadOf(uri);
    for (const [index, value] of [[5, (payload[5] as number) + 86_400], [3, 'user-2'], [4, 'US']] as const) {
      const changed = [...payload];
      changed[index] = value;
      expect(s.verify(withPayload(uri, changed), NOW)).toMatchObject({ ok: false, status: 403, reason: 'bad_signature' });
    }
  });
  it('an unknown key id is refused', () => {
    expect(s.verify(uri.replace('token=k1.', 'token=k9.'), NOW)).toMatchObject({ ok: false, status: 403, reason: 'unknown_key' });
    expect(s.verify('/media/7digital/2001', NOW)).toMatchObject({ ok: false, status: 403, reason: 'malformed' });
    expect(s.verify('/media/7digital/2001?token=garbage', NOW)).toMatchObject({ ok: false, status: 403, reason: 'malformed' });
  });
  it('after rotation the old key still verifies its URLs, the new key signs', () => {
    const rotated = signer([K2, K1], 'k2');
    expect(rotated.verify(uri, NOW)).toMatchObject({ ok: true });
    const fresh = rotated.sign(FIELDS, NOW);
    expect(fresh.keyId).toBe('k2');
    expect(rotated.verify(uriOf(fresh.streamUrl), NOW)).toMatchObject({ ok: true });
    // A gate that has not been given the new key yet refuses it.
    expect(s.verify(uriOf(fresh.streamUrl), NOW)).toMatchObject({ ok: false, reason: 'unknown_key' });
    // A key secret is bound to its id: the same id with another secret does not verify.
    const impostor = signer([{ id: 'k1', secret: K2.secret }]);
    expect(impostor.verify(uri, NOW)).toMatchObject({ ok: false, reason: 'bad_signature' });
  });
  it('expired after the lifetime plus the allowed skew: inside the skew verifies, outside is 410', () => {
    const end = NOW + 3600_000;
    expect(s.verify(uri, end)).toMatchObject({ ok: true });
    expect(s.verify(uri, end + 29_000)).toMatchObject({ ok: true });
    expect(s.verify(uri, end + 30_000)).toMatchObject({ ok: true });
    expect(s.verify(uri, end + 31_000)).toMatchObject({ ok: false, status: 410, reason: 'expired' });
  });
});
