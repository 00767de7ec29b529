// A worker or serve started while PostgreSQL is down (a restart, a database that comes up
// after the workers) waits for it, as a running process does, instead of exiting 5. On a
// throwaway PostgreSQL server of this test's own: the shared one is never stopped.
import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedlineProcess } from '../helpers/cli.js';
import { tempDir } from '../helpers/feeds.js';
import { clearPrefix, REDIS_URL, testPrefix } from '../helpers/redis.js';
import { startThrowawayPostgres, type ThrowawayPostgres } from '../helpers/throwaway-pg.js';

const prefix = testPrefix('test/cli/worker-waits-for-db.test.ts');
let pg: ThrowawayPostgres;

beforeAll(async () => {
  await clearPrefix(prefix);
  pg = startThrowawayPostgres(17260 + (process.pid % 10));
  pg.stop();
}, 120_000);
afterAll(async () => {
  pg?.destroy();
  await clearPrefix(prefix);
});

function watch(child: ChildProcess): { stderr: () => string; exited: Promise<number | null> } {
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  child.stdout!.resume();
  return { stderr: () => stderr, exited: new Promise((resolve) => child.once('exit', resolve)) };
}

async function until(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('started while PostgreSQL is down', () => {
  it.each([['worker'], ['serve', '--role', 'worker']])('%s waits for it, then runs and stops on SIGTERM', async (...args) => {
    const child = feedlineProcess(args, {
      DATABASE_URL: pg.url, REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-waits-'),
      FEEDLINE_HTTP_PORT: '0', LOG_LEVEL: 'info',
    });
    const worker = watch(child);
    try {
      await until(() => worker.stderr().includes('lost the connection to PostgreSQL; trying again'), 'the wait logged');
      expect(child.exitCode, worker.stderr()).toBeNull();
      pg.start();
      await until(() => /"msg":"(worker started|serving)"/.test(worker.stderr()), `started after PostgreSQL came up:\n${worker.stderr()}`);
      pg.stop();
    } finally {
      child.kill('SIGTERM');
    }
    expect(await worker.exited, worker.stderr()).toBe(0);
  }, 120_000);
});
