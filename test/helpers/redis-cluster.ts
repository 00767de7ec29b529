// A real three-master Redis Cluster for the cluster suite: Debian's redis-server on loopback
// ports, joined with `redis-cli --cluster create`, stopped and deleted by `stop()`.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { tempDir } from './feeds.js';

const run = promisify(execFile);

export interface TestCluster {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`: what REDIS_URL names. */
  url: string;
  ports: number[];
  /** One plain connection per master, for SCAN and FLUSHALL. */
  masters(): Redis[];
  stop(): Promise<void>;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`redis cluster: ${what} not ready in ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function startCluster(ports: number[]): Promise<TestCluster> {
  const dir = tempDir('feedline-redis-cluster-');
  const servers: ChildProcess[] = [];
  const connections: Redis[] = [];
  const stop = async () => {
    for (const c of connections) c.disconnect();
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => {
      if (server.exitCode !== null || server.signalCode !== null) return resolve();
      server.once('exit', () => resolve());
      server.kill('SIGTERM');
    })));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const server = spawn('redis-server', [
        '--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes',
        '--cluster-config-file', path.join(dir, `nodes-${port}.conf`), '--dir', dir,
        '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--maxmemory-policy', 'noeviction',
      ], { stdio: 'ignore' });
      servers.push(server);
      const probe = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
      probe.on('error', () => {}); // refused until the server listens: waitFor retries
      await waitFor(async () => {
        if (probe.status !== 'ready') await probe.connect();
        return (await probe.ping()) === 'PONG';
      }, `port ${port}`);
      connections.push(probe);
    }
    await run('redis-cli', ['--cluster', 'create', ...ports.map((p) => `127.0.0.1:${p}`), '--cluster-replicas', '0', '--cluster-yes']);
    await waitFor(async () => {
      const infos = await Promise.all(connections.map((c) => c.call('cluster', 'info') as Promise<string>));
      return infos.every((info) => info.includes('cluster_state:ok'));
    }, 'cluster_state:ok');
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`,
    ports,
    masters: () => connections,
    stop,
  };
}
