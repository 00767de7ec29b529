// The playback gate's settings (README "Playback gate"): signing keys and caller tokens are
// secrets, given as "name:secret" entries separated by commas or new lines, usually from
// FEEDLINE_GATE_KEYS_FILE and FEEDLINE_GATE_TOKENS_FILE.

export interface GateKey {
  id: string;
  secret: string;
}

export interface GateCaller {
  name: string;
  token: string;
}

export interface GateConfig {
  host: string;
  port: number;
  processes: number;
  /** Stream URLs are this base plus /SOURCE/TRACK and a token. */
  mediaBaseUrl: string | undefined;
  /** Every key that verifies; `signingKeyId` names the one that signs. */
  keys: GateKey[];
  signingKeyId: string | undefined;
  callers: GateCaller[];
  urlTtlSeconds: number;
  clockSkewSeconds: number;
  /** Requests per second per caller, across all the gate's processes on one host. */
  rateLimitPerSecond: number;
  playsForwardIntervalMs: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const MIN_KEY_LENGTH = 32;
const MIN_TOKEN_LENGTH = 16;

export interface RawGateSettings {
  FEEDLINE_GATE_HOST: string;
  FEEDLINE_GATE_PORT: number;
  FEEDLINE_GATE_PROCESSES: number;
  FEEDLINE_GATE_MEDIA_BASE_URL: string | undefined;
  FEEDLINE_GATE_KEYS: string | undefined;
  FEEDLINE_GATE_SIGNING_KEY_ID: string | undefined;
  FEEDLINE_GATE_TOKENS: string | undefined;
  FEEDLINE_GATE_URL_TTL_SECONDS: number;
  FEEDLINE_GATE_CLOCK_SKEW_SECONDS: number;
  FEEDLINE_GATE_RATE_LIMIT: number;
  FEEDLINE_PLAYS_FORWARD_INTERVAL_MS: number;
}

/** Validates the gate's settings, adding every problem (never a secret) to `problems`. */
export function gateConfig(p: RawGateSettings, problems: string[]): GateConfig {
  const keys = entries(p.FEEDLINE_GATE_KEYS, 'FEEDLINE_GATE_KEYS', MIN_KEY_LENGTH, problems).map(([id, secret]) => ({ id, secret }));
  const callers = entries(p.FEEDLINE_GATE_TOKENS, 'FEEDLINE_GATE_TOKENS', MIN_TOKEN_LENGTH, problems).map(([name, token]) => ({ name, token }));
  const signingKeyId = p.FEEDLINE_GATE_SIGNING_KEY_ID ?? keys[0]?.id;
  if (p.FEEDLINE_GATE_SIGNING_KEY_ID !== undefined && !keys.some((k) => k.id === p.FEEDLINE_GATE_SIGNING_KEY_ID)) {
    problems.push(`FEEDLINE_GATE_SIGNING_KEY_ID: no key "${p.FEEDLINE_GATE_SIGNING_KEY_ID}" in FEEDLINE_GATE_KEYS`);
  }
  return {
    host: p.FEEDLINE_GATE_HOST,
    port: p.FEEDLINE_GATE_PORT,
    processes: p.FEEDLINE_GATE_PROCESSES,
    mediaBaseUrl: p.FEEDLINE_GATE_MEDIA_BASE_URL?.replace(/\/+$/, ''),
    keys,
    signingKeyId,
    callers,
    urlTtlSeconds: p.FEEDLINE_GATE_URL_TTL_SECONDS,
    clockSkewSeconds: p.FEEDLINE_GATE_CLOCK_SKEW_SECONDS,
    rateLimitPerSecond: p.FEEDLINE_GATE_RATE_LIMIT,
    playsForwardIntervalMs: p.FEEDLINE_PLAYS_FORWARD_INTERVAL_MS,
  };
}

/** The problems that keep `serve --role gate` from starting (the settings are optional elsewhere). */
export function gateStartProblems(gate: GateConfig): string[] {
  const problems: string[] = [];
  if (!gate.mediaBaseUrl) problems.push('FEEDLINE_GATE_MEDIA_BASE_URL is not set');
  if (gate.keys.length === 0) problems.push('FEEDLINE_GATE_KEYS (or FEEDLINE_GATE_KEYS_FILE) names no signing key');
  if (gate.callers.length === 0) problems.push('FEEDLINE_GATE_TOKENS (or FEEDLINE_GATE_TOKENS_FILE) names no calling service');
  return problems;
}

function entries(value: string | undefined, variable: string, minLength: number, problems: string[]): [string, string][] {
  const result: [string, string][] = [];
  const seen = new Set<string>();
  for (const [index, entry] of (value ?? '').split(/[\s,]+/).filter(Boolean).entries()) {
    const colon = entry.indexOf(':');
    const name = colon > 0 ? entry.slice(0, colon) : '';
    const secret = colon > 0 ? entry.slice(colon + 1) : '';
    // Entries are named by position, never quoted: they are secrets.
    if (!NAME.test(name)) problems.push(`${variable}: entry ${index + 1} is not name:secret with a name of letters, digits, _ or -`);
    else if (secret.length < minLength) problems.push(`${variable}: the secret of "${name}" is shorter than ${minLength} characters`);
    else if (seen.has(name)) problems.push(`${variable}: "${name}" is given twice`);
    else {
      seen.add(name);
      result.push([name, secret]);
    }
  }
  return result;
}
