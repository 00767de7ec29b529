// `feedline worker` started through npm (npx, npm exec: npm sets npm_command) exits by itself
// when its parent is killed: no orphaned worker. Started with nohup from a shell that exits, it
// stays (the operator asked for that), and stops on SIGTERM with 0.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
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

describe('a worker started through a wrapper that dies', () => {
  it('stops by itself within seconds', async () => {
    const main = path.join(ROOT, 'src/cli/main.ts');
    // The shell starts the worker in the background, prints its pid and waits for it.
    const shell = spawn('sh', ['-c', `"${process.execPath}" --import tsx "${main}" worker & echo $!; wait`], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', npm_command: 'exec', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
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

describe('a worker started with nohup from a shell that exits', () => {
  it('outlives the shell, and stops on SIGTERM with 0', async () => {
    const log = path.join(tempDir('feedline-nohup-'), 'worker.log');
    const bin = path.join(ROOT, 'bin/feedline.js');
    const shell = spawnSync('sh', ['-c', `nohup "${process.execPath}" "${bin}" worker > "${log}" 2>&1 & echo $!`], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env }, encoding: 'utf8',
    });
    const workerPid = Number(shell.stdout.trim());
    const output = () => { try { return readFileSync(log, 'utf8'); } catch { return ''; } };
    try {
      const started = Date.now();
      while (!output().includes('worker started') && Date.now() - started < 40_000) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(output()).toContain('worker started');
      // The shell is gone; the parent-watch would have fired within a second or two.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      expect(alive(workerPid), output()).toBe(true);
      process.kill(workerPid, 'SIGTERM');
      const deadline = Date.now() + 10_000;
      while (alive(workerPid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(alive(workerPid), output()).toBe(false);
    } finally {
      if (alive(workerPid)) process.kill(workerPid, 'SIGKILL');
    }
    expect(output()).not.toContain('parent process gone');
    // Its exit status is not ours to wait for (it is not our child): the log says it stopped cleanly.
    expect(output()).toContain('worker stopping: finishing batches in hand');
    expect(output()).not.toMatch(/"level":(50|60)/);
  }, 90_000);
});
