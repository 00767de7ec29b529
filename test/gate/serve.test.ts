// `feedline serve --role gate` as an operator runs it: settings from *_FILE, two processes
// sharing the port, a decision, SIGTERM; and the start-up refusals (exit 2), naming the
// variable, never a secret.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/feeds.js';
import { applyCsv, csvTrack } from './catalogue.js';
import { openWorld, PLAYER_TOKEN, waitFor, type World } from './world.js';

let world: World;

beforeAll(async () => {
  world = await openWorld('test/gate/serve.test.ts', { redis: false });
  await applyCsv(world.db, world.config, 'track', 'GB', '20261120', [csvTrack({ id: 6001 })]);
});

afterAll(async () => {
  await world?.close();
});

describe('feedline serve --role gate', () => {
  it('runs two processes on one port from *_FILE secrets, answers, and stops on SIGTERM with 0', async () => {
    const dir = tempDir('feedline-gate-serve-');
    writeFileSync(path.join(dir, 'keys'), 'k1:k1-secret-0123456789abcdef0123456789\n');
    writeFileSync(path.join(dir, 'tokens'), `player:${PLAYER_TOKEN}\n`);
    const port = 17350 + Math.floor(Math.random() * 40);
    const child = feedlineProcess(['serve', '--role', 'gate'], {
      DATABASE_URL: world.url, FEEDLINE_HOME: dir, FEEDLINE_GATE_PORT: String(port), FEEDLINE_HTTP_PORT: String(port + 1),
      FEEDLINE_GATE_PROCESSES: '2', FEEDLINE_GATE_KEYS_FILE: path.join(dir, 'keys'), FEEDLINE_GATE_TOKENS_FILE: path.join(dir, 'tokens'),
      FEEDLINE_GATE_MEDIA_BASE_URL: 'https://media.example.test/media',
    });
    let stderr = '';
    child.stderr!.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      const pids = new Set<number>();
      await waitFor(async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/playback`, {
          method: 'POST', headers: { authorization: `Bearer ${PLAYER_TOKEN}`, connection: 'close' }, body: JSON.stringify({ userId: 'u', trackId: '6001', country: 'GB' }),
        }).catch(() => undefined);
        return res?.status === 200;
      }, 90_000);
      expect(stderr).not.toContain('k1-secret');
      // The second process may still be starting: the connections are shared round-robin.
      await waitFor(async () => {
        const health = await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } });
        pids.add(((await health.json()) as { pid: number }).pid);
        return pids.size === 2;
      }, 90_000);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 150_000);
  it('refuses to start without its settings (exit 2), naming the variables and never a secret', async () => {
    const missing = await feedline(['serve', '--role', 'gate'], { DATABASE_URL: world.url, FEEDLINE_HOME: tempDir() });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('FEEDLINE_GATE_MEDIA_BASE_URL');
    expect(missing.stderr).toContain('FEEDLINE_GATE_KEYS');
    expect(() => loadConfig({}, { FEEDLINE_GATE_KEYS: 'k1:short-secret-value', FEEDLINE_GATE_TOKENS: 'no-colon-token-0123456789' }))
      .toThrow(/FEEDLINE_GATE_KEYS: the secret of "k1" is shorter than 32 characters[\s\S]*FEEDLINE_GATE_TOKENS: entry 1 is not name:secret/);
    // Caught, not asserted inside a catch: a loadConfig that stopped refusing must fail here.
    const refusal = (() => {
      try {
        loadConfig({}, { FEEDLINE_GATE_KEYS: 'k1:short-secret-value' });
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(refusal?.message).toMatch(/FEEDLINE_GATE_KEYS/);
    expect(refusal?.message).not.toContain('short-secret-value');
  });
});
