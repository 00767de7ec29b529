// The Catalogue Events benchmark's processes, started as an operator would (the built
// `node bin/feedline.js`, README "Catalogue Events"): the receiver, the apply workers
// (`feedline worker` or `serve --role worker`), the load generator; their peak RSS.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../test/helpers/cli.js';
import type { LoadResult } from './events-load.js';

export type WorkerKind = 'worker' | 'serve';

const BIN = path.join(ROOT, 'bin/feedline.js');

/** Peak resident set of a process so far (VmHWM), in MiB. */
export function peakRssMiB(pid: number | undefined): number | null {
  try {
    const kb = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round(Number(kb) / 1024) : null;
  } catch {
    return null;
  }
}

/** Starts `node bin/feedline.js ARGS` and resolves once it logs `ready` (its start-up line). */
function startFeedline(args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let seen = '';
    let started = false;
    const onData = (d: Buffer) => {
      // Keep only the tail: a worker logs for as long as it runs.
      seen = (seen + d.toString()).slice(-4000);
      if (!started && seen.includes(ready)) {
        started = true;
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code, signal) => {
      if (!started) reject(new Error(`feedline ${args.join(' ')} exited ${code ?? signal}: ${seen}`));
    });
  });
}

export function startReceiver(env: Record<string, string>): Promise<ChildProcess> {
  return startFeedline(['serve', '--role', 'events'], env, 'serving');
}

/** `count` workers of one kind; `serve --role worker` needs its own HTTP port each. */
export function startWorkers(kind: WorkerKind, count: number, env: Record<string, string>, firstHttpPort: number): Promise<ChildProcess[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => kind === 'worker'
    ? startFeedline(['worker'], env, 'worker started')
    : startFeedline(['serve', '--role', 'worker'], { ...env, FEEDLINE_HTTP_PORT: String(firstHttpPort + i) }, 'serving')));
}

/** SIGTERM (the workers finish what they hold), SIGKILL after `graceMs`; resolves when all have exited. */
export async function stop(children: readonly ChildProcess[], graceMs = 15_000): Promise<void> {
  await Promise.all(children.map((child) => new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  })));
}

/** Runs bench/events-load.ts on a plan file in its own process and returns what it measured. */
export function runLoad(planFile: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/events-load.ts'), planFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as LoadResult) : reject(new Error(`load generator exited ${code}`))));
  });
}
