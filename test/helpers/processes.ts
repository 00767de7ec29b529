// The built executable as an operator runs it, and the process tree it leaves: for the tests
// that signal long-running commands and check that nothing of them lives on.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.js';

export interface Started {
  child: ChildProcess;
  /** Everything it wrote so far, stdout and stderr together. */
  output: () => string;
  exited: Promise<number | null>;
}

/** Starts `node bin/feedline.js ARGS` (the real process, so signals reach it). */
export function startBuilt(args: readonly string[], env: Record<string, string>): Started {
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/feedline.js'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))) };
}

/** Every process below `pid` now, from /proc. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const found: number[] = [];
  const walk = (p: number) => { for (const child of parents.get(p) ?? []) { found.push(child); walk(child); } };
  walk(pid);
  return found;
}

export const alive = (pid: number): boolean => { try { process.kill(pid, 0); return true; } catch { return false; } };
