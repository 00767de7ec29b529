// The periodic-task helper every interval loop goes through: one tick at a time, stop() waits
// for the running tick, a failure is logged and counted and the loop goes on. pollUntil, the
// waiting loop, reads until done and stops at once when aborted.
import { describe, expect, it } from 'vitest';
import { createPeriodic, pollUntil, startPeriodic } from '../src/periodic.js';
import { captureLogs } from './helpers/logs.js';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => { open = resolve; });
  return { opened, open: () => open() };
}

describe('periodic task', () => {
  it('runs one tick at a time: a tick asked for while one runs joins it', async () => {
    const { logger } = captureLogs();
    const release = gate();
    let started = 0;
    const task = createPeriodic({ name: 'test', schedule: { everyMs: 60_000 }, logger, run: async () => { started += 1; await release.opened; return started; } });
    const first = task.tick();
    const second = task.tick();
    release.open();
    expect(await first).toBe(1);
    expect(await second).toBe(1);
    expect(started).toBe(1);
    expect(await task.tick()).toBe(2);
  });

  it('does not stack ticks when the interval is shorter than a tick', async () => {
    const { logger } = captureLogs();
    let concurrent = 0;
    let most = 0;
    let runs = 0;
    const task = startPeriodic({ name: 'test', schedule: { everyMs: 5 }, logger, run: async () => {
      concurrent += 1; runs += 1; most = Math.max(most, concurrent);
      await new Promise((resolve) => setTimeout(resolve, 40));
      concurrent -= 1;
    } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    await task.stop();
    expect(runs).toBeGreaterThan(1);
    expect(most).toBe(1);
  });

  it('stop() waits for the running tick and no tick starts after it', async () => {
    const { logger } = captureLogs();
    const release = gate();
    let finished = false;
    let runs = 0;
    const task = startPeriodic({ name: 'test', schedule: { everyMs: 5 }, logger, run: async () => { runs += 1; await release.opened; finished = true; } });
    let stopped = false;
    const stopping = task.stop().then(() => { stopped = true; });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(stopped).toBe(false);
    release.open();
    await stopping;
    expect(finished).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(runs).toBe(1);
  });

  it('logs and counts a failed tick, and the next tick runs', async () => {
    const logs = captureLogs();
    let calls = 0;
    const task = createPeriodic({ name: 'flaky', schedule: { everyMs: 60_000 }, logger: logs.logger, run: async () => {
      calls += 1;
      if (calls === 1) throw new Error('boom');
      return 'ok';
    } });
    expect(await task.tick()).toBeUndefined();
    expect(task.failures).toBe(1);
    const failure = logs.records.find((r) => r.periodic === 'flaky' && r.level === 50);
    expect(failure).toMatchObject({ failures: 1, err: { message: 'boom' } });
    expect(await task.tick()).toBe('ok');
    expect(task.failures).toBe(1);
  });
});

describe('pollUntil', () => {
  it('reads at once, then every period, until done, and returns the value that was done', async () => {
    let reads = 0;
    const started = Date.now();
    const value = await pollUntil(async () => ++reads, (n) => n === 3, { everyMs: 20 });
    expect(value).toBe(3);
    expect(reads).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(35);
  });

  it('doubles the wait after each read up to upToMs', async () => {
    const readAt: number[] = [];
    await pollUntil(async () => readAt.push(Date.now()), (n) => n === 5, { everyMs: 10, upToMs: 40 });
    const waits = readAt.slice(1).map((at, i) => at - readAt[i]!);
    // 10, 20, 40, 40 ms (timers may fire a little late, never early).
    expect(waits[1]).toBeGreaterThanOrEqual(19);
    expect(waits[2]).toBeGreaterThanOrEqual(39);
    expect(waits[3]).toBeGreaterThanOrEqual(39);
  });

  it('stops waiting as soon as it is aborted, with the last value read', async () => {
    const stop = new AbortController();
    let reads = 0;
    const started = Date.now();
    const waiting = pollUntil(async () => ++reads, () => false, { everyMs: 60_000, signal: stop.signal });
    setTimeout(() => stop.abort(), 20);
    expect(await waiting).toBe(2);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
