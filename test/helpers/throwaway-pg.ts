// A PostgreSQL server of a test's own (initdb in a temporary directory, on a loopback port),
// for tests that stop and start the database: the shared server is never restarted.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

function binDir(): string {
  const configured = process.env.FEEDLINE_TEST_PG_BIN;
  if (configured) return configured;
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  const found = versions.map((v) => path.join(root, v, 'bin')).find((d) => existsSync(path.join(d, 'initdb')));
  if (!found) throw new Error('initdb not found: install PostgreSQL server binaries or set FEEDLINE_TEST_PG_BIN');
  return found;
}

export interface ThrowawayPostgres {
  url: string;
  stop(): void;
  start(): void;
  destroy(): void;
}

/** initdb refuses to run as root: run the server binaries as the postgres user then. */
function run(bin: string, args: string[]): void {
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'runuser' : bin, asRoot ? ['-u', 'postgres', '--', bin, ...args] : args, { stdio: 'ignore' });
}

export function startThrowawayPostgres(port: number): ThrowawayPostgres {
  const bin = binDir();
  const dir = mkdtempSync(path.join(tmpdir(), 'feedline-pg-'));
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
  const data = path.join(dir, 'data');
  run(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const start = () => run(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-l', path.join(dir, 'log'), '-o', `-p ${port} -k ${dir} -h 127.0.0.1 -F`, 'start']);
  const stop = () => run(path.join(bin, 'pg_ctl'), ['-D', data, '-w', '-m', 'immediate', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    start,
    stop,
    destroy() {
      try {
        stop();
      } catch {
        // Already stopped.
      }
      execFileSync('rm', ['-rf', dir]);
    },
  };
}
