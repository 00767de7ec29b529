// Every long-running process as an operator runs it (the built executable, every secret
// setting given a known value, LOG_LEVEL=trace): it starts, answers on each of its servers,
// and on SIGTERM exits 0 within 2 s with no process of its tree left. Nothing it writes (log
// lines, error output, pages, /metrics, headers) holds a secret's value or names its framework.
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SECRET_SETTINGS } from '../../src/config/schema.js';
import { freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';
import { alive, descendants, startBuilt, type Started } from '../helpers/processes.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';

const FILE = 'test/cli/roles-lifecycle.test.ts';
const prefix = testPrefix(FILE);
const IDLE_EXIT_MS = 2_000;

/** One known value per secret setting; the two hashes are the alternatives of the passwords set here. */
const SECRETS: Record<string, string> = {
  FEEDLINE_OAUTH_CONSUMER_KEY: 'oauth-key-secret-51ae09',
  FEEDLINE_OAUTH_CONSUMER_SECRET: 'oauth-secret-value-8812c4',
  FEEDLINE_WEBHOOK_URLS: 'http://127.0.0.1:9/hook-secret-6b2d11',
  FEEDLINE_DASHBOARD_TOKEN: 'dash-token-secret-0123456789',
  FEEDLINE_DASHBOARD_PASSWORD: 'dash-password-secret-77',
  FEEDLINE_DASHBOARD_ADMIN_PASSWORD: 'admin-password-secret-31',
  FEEDLINE_SESSION_SECRET: 'session-secret-0123456789abcdef0123456789',
  FEEDLINE_GATE_KEYS: 'k1:gate-key-secret-0123456789abcdef012345',
  FEEDLINE_GATE_TOKENS: 'player:gate-token-secret-012345',
};
const NOT_SET = ['FEEDLINE_DASHBOARD_PASSWORD_HASH', 'FEEDLINE_DASHBOARD_ADMIN_PASSWORD_HASH'];
const PG_PASSWORD = 'pg-secret-4d8f1a';
const REDIS_PASSWORD = 'redis-secret-93bc7e';

let env: Record<string, string>;
let secretValues: string[];

beforeAll(async () => {
  await clearPrefix(prefix);
  const dbUrl = new URL(await freshDatabase(FILE));
  // Trust authentication ignores the password, and a Redis without one only warns: both are
  // given so that they can leak.
  dbUrl.password = PG_PASSWORD;
  const redisUrl = new URL(REDIS_URL);
  redisUrl.password = REDIS_PASSWORD;
  const dir = tempDir('feedline-lifecycle-');
  const keyFile = path.join(dir, 'events.pem');
  writeFileSync(keyFile, generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ type: 'spki', format: 'pem' }));
  env = {
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'trace',
    DATABASE_URL: dbUrl.toString(), REDIS_URL: redisUrl.toString(), FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: dir,
    FEEDLINE_HTTP_PORT: '0', FEEDLINE_EVENTS_PORT: '0', FEEDLINE_GATE_PORT: '0', FEEDLINE_SHUTDOWN_GRACE_MS: '1000',
    FEEDLINE_PROVIDER_BASE_URL: 'http://127.0.0.1:9/feeds', FEEDLINE_ALLOW_HTTP: 'true',
    FEEDLINE_DASHBOARD_USER: 'ops', FEEDLINE_DASHBOARD_ADMIN_USER: 'admin',
    FEEDLINE_GATE_MEDIA_BASE_URL: 'https://media.example.test/media', FEEDLINE_EVENTS_PUBLIC_KEY_FILE: keyFile,
    ...SECRETS,
  };
  secretValues = [PG_PASSWORD, REDIS_PASSWORD, ...Object.values(SECRETS), ...Object.values(SECRETS).map((v) => v.split(':').pop()!)];
});
afterAll(async () => {
  await clearPrefix(prefix);
});

const start = (args: readonly string[], extra: Record<string, string> = {}) => startBuilt(args, { ...env, ...extra });

async function until(started: Started, what: RegExp, count = 1, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((started.output().match(new RegExp(what, 'g')) ?? []).length < count) {
    if (Date.now() > deadline) throw new Error(`never logged ${what}:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The ports the process logged, by the message that names them. */
function logged(output: string, msg: string, field: 'url' | 'port'): string[] {
  return output.split('\n').filter((l) => l.includes(`"msg":"${msg}"`)).map((l) => String((JSON.parse(l) as Record<string, unknown>)[field]));
}

/** Requests on every server the process runs; returns what came back (headers and bodies). */
async function exercise(output: string): Promise<string> {
  const seen: string[] = [];
  const get = async (url: string, init: RequestInit = {}) => {
    const res = await fetch(url, { ...init, headers: { connection: 'close', ...(init.headers ?? {}) } });
    const headers = [...res.headers.entries()].map(([k, v]) => `${k}: ${v}`).join('\n');
    expect(res.headers.get('x-powered-by'), `${url}\n${headers}`).toBeNull();
    seen.push(`${url} ${res.status}\n${headers}\n${await res.text()}`);
  };
  const auth = { authorization: `Bearer ${SECRETS.FEEDLINE_DASHBOARD_TOKEN}` };
  for (const base of logged(output, 'http server listening', 'url')) {
    for (const page of ['/healthz', '/readyz']) await get(`${base}${page}`);
    if (/"role":"(api|all)"/.test(output)) {
      for (const page of ['/', '/metrics', '/admin/queues', '/admin/queues/api/queues', '/nothing-here']) await get(`${base}${page}`, { headers: auth });
      await get(`${base}/`);
      await get(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } });
    }
  }
  for (const port of new Set(logged(output, 'playback gate serving', 'port'))) {
    await get(`http://127.0.0.1:${port}/healthz`);
    await get(`http://127.0.0.1:${port}/v1/playback`, { method: 'POST', headers: { authorization: `Bearer ${SECRETS.FEEDLINE_GATE_TOKENS!.split(':')[1]}` }, body: JSON.stringify({ userId: 'u', trackId: '1', country: 'GB' }) });
    await get(`http://127.0.0.1:${port}/v1/playback`, { method: 'POST', body: '{}' });
  }
  for (const port of logged(output, 'events receiver listening', 'port')) {
    await get(`http://127.0.0.1:${port}/events/standard`, { method: 'POST', headers: { authorization: 'Bearer not.a.token' }, body: '{}' });
  }
  return seen.join('\n\n');
}

const CASES: { name: string; args: string[]; ready: RegExp; count?: number; extra?: Record<string, string> }[] = [
  { name: 'serve --role all', args: ['serve', '--role', 'all'], ready: /"msg":"serving"/ },
  { name: 'serve --role api', args: ['serve', '--role', 'api'], ready: /"msg":"serving"/ },
  { name: 'serve --role worker', args: ['serve', '--role', 'worker'], ready: /"msg":"serving"/ },
  { name: 'serve --role scheduler', args: ['serve', '--role', 'scheduler'], ready: /"msg":"serving"/ },
  { name: 'serve --role events', args: ['serve', '--role', 'events'], ready: /"msg":"serving"/ },
  { name: 'serve --role gate', args: ['serve', '--role', 'gate'], ready: /"msg":"serving"/ },
  { name: 'serve --role gate, two processes', args: ['serve', '--role', 'gate'], ready: /"msg":"serving"/, count: 2, extra: { FEEDLINE_GATE_PROCESSES: '2' } },
  { name: 'worker', args: ['worker'], ready: /"msg":"worker started"/ },
];

describe('every long-running process', () => {
  it('is given every secret setting', () => {
    expect([...Object.keys(SECRETS), 'DATABASE_URL', 'REDIS_URL', ...NOT_SET].sort()).toEqual([...SECRET_SETTINGS].sort());
  });

  for (const c of CASES) {
    it(`${c.name}: answers, exits 0 within 2 s of SIGTERM with its whole tree, and never shows a secret or its framework`, async () => {
      const started = start(c.args, c.extra);
      let pages = '';
      let tree: number[] = [];
      try {
        await until(started, c.ready, c.count);
        pages = await exercise(started.output());
        tree = descendants(started.child.pid!);
      } finally {
        started.child.kill('SIGTERM');
      }
      const signalled = Date.now();
      const code = await Promise.race([started.exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000))]);
      const tookMs = Date.now() - signalled;
      const left = tree.filter(alive);
      for (const pid of [started.child.pid!, ...left]) if (alive(pid)) process.kill(pid, 'SIGKILL');
      expect(code, started.output().slice(-3000)).toBe(0);
      expect(tookMs, started.output().slice(-3000)).toBeLessThan(IDLE_EXIT_MS);
      expect(left).toEqual([]);
      for (const secret of secretValues) {
        expect(started.output(), `${secret} in the output`).not.toContain(secret);
        expect(pages, `${secret} in a page`).not.toContain(secret);
      }
    }, 90_000);
  }
});
