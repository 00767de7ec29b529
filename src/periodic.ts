// The one periodic-task loop: every "do this every N ms (or on a cron)" in feedline goes
// through here, so each has the same three guarantees. One tick at a time: a slow tick makes
// the next one skip instead of piling up. stop() waits for the running tick, so a process
// that stops does not close a connection under it. A failing tick is logged and counted,
// and the loop carries on: the next tick is the retry. Waiting for something to happen
// (a run applied, a queue drained) polls through pollUntil, the same loop with an end.
import cron, { type ScheduledTask } from 'node-cron';
import { coerceError } from './errors.js';
import type { Logger } from './log.js';

export type PeriodicSchedule = { everyMs: number } | { cron: string; timezone?: string };

export interface PeriodicOptions<T> {
  /** Names the task in logs (and the cron task). */
  name: string;
  schedule: PeriodicSchedule;
  run: () => Promise<T>;
  logger: Logger;
  /** Level a failed tick is logged at; `error` unless a failure is expected and retried. */
  failureLevel?: 'warn' | 'error';
  /** Runs a first tick at start() rather than waiting a whole period; true unless told. */
  runAtStart?: boolean;
  /** Lets the process exit while only this timer is left; false unless told. */
  unref?: boolean;
}

export interface PeriodicTask<T> {
  /** Starts the schedule (and a first tick unless `runAtStart: false`); a second call does nothing. */
  start(): void;
  /** Runs a tick now, or joins the one running; undefined when it failed (logged and counted). */
  tick(): Promise<T | undefined>;
  /** Stops the schedule and waits for the running tick. */
  stop(): Promise<void>;
  /** Ticks that failed since the task was made. */
  readonly failures: number;
}

export function createPeriodic<T>(options: PeriodicOptions<T>): PeriodicTask<T> {
  const log = options.logger.child({ periodic: options.name });
  let running: Promise<T | undefined> | undefined;
  let failures = 0;
  let stopped = false;
  let stopTimer: (() => Promise<void>) | undefined;

  const tick = (): Promise<T | undefined> => {
    running ??= Promise.resolve()
      .then(options.run)
      .catch((err: unknown) => {
        failures += 1;
        log[options.failureLevel ?? 'error']({ err: coerceError(err), failures }, `${options.name} failed; the next tick tries again`);
        return undefined;
      })
      .finally(() => { running = undefined; });
    return running;
  };
  const scheduledTick = () => { if (!stopped) void tick(); };

  return {
    start() {
      if (stopTimer || stopped) return;
      const { schedule } = options;
      if ('everyMs' in schedule) {
        const timer = setInterval(scheduledTick, schedule.everyMs);
        if (options.unref) timer.unref();
        stopTimer = async () => clearInterval(timer);
      } else {
        const task: ScheduledTask = cron.schedule(schedule.cron, scheduledTick, { timezone: schedule.timezone, noOverlap: true, name: options.name });
        stopTimer = async () => {
          await task.stop();
          await task.destroy();
        };
      }
      if (options.runAtStart ?? true) void tick();
    },
    tick,
    async stop() {
      stopped = true;
      await stopTimer?.().catch((err: unknown) => log.warn({ err: coerceError(err) }, `could not stop the ${options.name} schedule`));
      await running;
    },
    get failures() { return failures; },
  };
}

/** createPeriodic and start() in one call, for loops that begin as they are made. */
export function startPeriodic<T>(options: PeriodicOptions<T>): PeriodicTask<T> {
  const task = createPeriodic(options);
  task.start();
  return task;
}

export interface PollOptions {
  everyMs: number;
  /** Doubles the wait after each read up to this: a wait that is usually short is polled quickly first. */
  upToMs?: number;
  /** Stops waiting: the last value read is returned as it stands. */
  signal?: AbortSignal;
}

/** Reads at once and then every `everyMs` until `done(value)` or `signal` aborts; returns the last value read. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, options: PollOptions): Promise<T> {
  const { signal } = options;
  for (let waitMs = options.everyMs; ; waitMs = Math.min(waitMs * 2, options.upToMs ?? options.everyMs)) {
    const value = await read();
    if (done(value) || signal?.aborted) return value;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, waitMs);
      function finish() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', finish);
        resolve();
      }
      signal?.addEventListener('abort', finish, { once: true });
    });
  }
}
