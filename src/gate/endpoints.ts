// The gate's decisions: POST /v1/playback issues a signed stream URL for a playable track;
// GET /v1/stream/authorize checks one for a reverse proxy (nginx auth_request) or an edge
// worker: 200 valid, 403 bad or no longer playable, 410 expired, 409 already used.
import type { Decision } from './decision.js';
import type { NonceStore } from './nonces.js';
import type { Signer } from './signing.js';
import type { AvailabilityView } from './view.js';

export interface Reply {
  status: number;
  body: Record<string, unknown>;
}

export interface DecisionDeps {
  view: AvailabilityView;
  signer: Signer;
  nonces: NonceStore;
  defaultSource: string;
  skewSeconds: number;
  now: () => number;
}

/** The header a proxy puts the client's original request URI in (nginx: $request_uri). */
export const ORIGINAL_URI_HEADER = 'x-original-uri';

const MAX_FIELD = 256;

export async function playback(deps: DecisionDeps, body: unknown): Promise<Reply> {
  const request = parsePlaybackRequest(body);
  if (typeof request === 'string') return { status: 400, body: { error: request } };
  const nowMs = deps.now();
  const grant = { ...request, source: request.source ?? deps.defaultSource };
  const decision: Decision = await deps.view.decide(grant.source, grant.trackId, grant.country, new Date(nowMs));
  if (!decision.playable) return { status: 403, body: { reason: decision.reason } };
  return { status: 200, body: { ...deps.signer.sign(grant, nowMs) } };
}

export async function authorize(deps: DecisionDeps, originalUri: string | undefined): Promise<Reply> {
  if (!originalUri) return { status: 400, body: { error: `the ${ORIGINAL_URI_HEADER} header is missing` } };
  const nowMs = deps.now();
  const verified = deps.signer.verify(originalUri, nowMs);
  if (!verified.ok) return { status: verified.status, body: { reason: verified.reason } };
  const { grant } = verified;
  // A takedown applied after the URL was issued revokes it; a refused URL keeps its nonce.
  const decision = await deps.view.decide(grant.source, grant.trackId, grant.country, new Date(nowMs));
  if (!decision.playable) return { status: 403, body: { reason: decision.reason } };
  const first = await deps.nonces.consume(grant.nonce, (grant.expiresAt + deps.skewSeconds) * 1000, nowMs);
  if (!first) return { status: 409, body: { reason: 'replayed' } };
  return { status: 200, body: { ok: true } };
}

interface PlaybackRequest {
  userId: string;
  trackId: string;
  country: string;
  source: string | undefined;
}

function parsePlaybackRequest(body: unknown): PlaybackRequest | string {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object { userId, trackId, country, source? }';
  const { userId, trackId, country, source } = body as Record<string, unknown>;
  const problems: string[] = [];
  const text = (name: string, value: unknown): string | undefined =>
    (typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD) || (typeof value === 'number' && Number.isSafeInteger(value))
      ? String(value)
      : void problems.push(`${name} must be a non-empty string of at most ${MAX_FIELD} characters`);
  const parsed = {
    userId: text('userId', userId),
    trackId: text('trackId', trackId),
    country: typeof country === 'string' ? country.trim().toUpperCase() : text('country', country),
    source: source === undefined ? undefined : text('source', source),
  };
  if (problems.length > 0) return problems.join('; ');
  return parsed as PlaybackRequest;
}
