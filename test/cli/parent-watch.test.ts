// `feedline worker` started as a background job of a shell (what running it through npx with a
// trailing & amounts to) exits by itself when that shell is killed: no orphaned worker.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/db.js';
import { tempDir } from '../helpers/feeds.js';
import { REDIS_URL, clearPrefix, testPrefix } from '../helpers/redis.js';

const prefix = testPrefix('test/cli/parent-watch.test.ts');
let env: Record<string, string>;

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

beforeAll(async () => {
  env = { DATABASE_URL: await freshDatabase('test/cli/parent-watch.test.ts'), REDIS_URL, FEEDLINE_QUEUE_PREFIX: prefix, FEEDLINE_HOME: tempDir('feedline-home-') };
  await clearPrefix(prefix);
});
afterAll(async () => {
  await clearPrefix(prefix);
});

describe('a worker started by a process that dies', () => {
  it('stops by itself within seconds', async () => {
    const main = path.join(ROOT, 'src/cli/main.ts');
    // The shell starts the worker in the background, prints its pid and waits for it.
    const shell = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${main}" worker & echo $!; wait`], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    shell.stderr!.on('data', (d) => (stderr += d));
    const workerPid = await new Promise<number>((resolve) => shell.stdout!.once('data', (d) => resolve(Number(String(d).trim()))));
    expect(alive(workerPid)).toBe(true);
    // Let it start for real, then kill the parent the way a killed npx dies: no signal passed on.
    const started = Date.now();
    while (!stderr.includes('worker started') && Date.now() - started < 40_000) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stderr).toContain('worker started');
    shell.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while (alive(workerPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 250));
    if (alive(workerPid)) process.kill(workerPid, 'SIGKILL');
    expect(alive(workerPid), stderr).toBe(false);
    expect(stderr).toContain('parent process gone; stopping');
  }, 90_000);
});
