// ops/nginx/feedline-gate.conf end to end: Debian's nginx (/usr/sbin/nginx) in front of a
// local file server on loopback, asking a gate started here. `npm run test:nginx`.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gate } from '../../src/gate/gate.js';
import { ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/feeds.js';
import { applyCsv, csvTrack } from '../gate/catalogue.js';
import { askPlayback, EDGE_TOKEN, openWorld, waitFor, type World } from '../gate/world.js';

const NGINX = '/usr/sbin/nginx';
/** This suite's loopback ports are looked for here, never the sample's defaults. */
const PORT_RANGE = [17300, 17399] as const;

let world: World;
let gate: Gate;
let nginx: ChildProcess;
let origin: Server;
let nginxPort: number;
let clockOffsetMs = 0;
const originRequests: string[] = [];

async function freePort(): Promise<number> {
  for (let port = PORT_RANGE[0] + Math.floor(Math.random() * 50); port <= PORT_RANGE[1]; port++) {
    const free = await new Promise<boolean>((resolve) => {
      const probe = createNetServer().once('error', () => resolve(false)).listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
    if (free) return port;
  }
  throw new Error('no free port');
}

/** The sample configuration with this test's addresses, paths and token. */
function nginxConfig(dir: string, gatePort: number, originPort: number): string {
  const sample = readFileSync(path.join(ROOT, 'ops/nginx/feedline-gate.conf'), 'utf8');
  const replaced = sample
    .replace('listen 127.0.0.1:8081;', `listen 127.0.0.1:${nginxPort};`)
    .replace('server 127.0.0.1:8090;', `server 127.0.0.1:${gatePort};`)
    .replace('proxy_pass http://127.0.0.1:9000;', `proxy_pass http://127.0.0.1:${originPort};`)
    .replace('REPLACE-WITH-THE-EDGE-TOKEN', EDGE_TOKEN)
    .replace('/var/log/nginx/feedline-media.log', path.join(dir, 'media.log'))
    .replace('/var/log/nginx/feedline-media-error.log', path.join(dir, 'media-error.log'));
  writeFileSync(path.join(dir, 'feedline-gate.conf'), replaced);
  const temp = (name: string) => {
    const p = path.join(dir, name);
    mkdirSync(p, { mode: 0o777 });
    chmodSync(p, 0o777);
    return p;
  };
  return `daemon off;
worker_processes 1;
pid ${path.join(dir, 'nginx.pid')};
error_log ${path.join(dir, 'error.log')} warn;
events { worker_connections 128; }
http {
  client_body_temp_path ${temp('body')};
  proxy_temp_path ${temp('proxy')};
  fastcgi_temp_path ${temp('fastcgi')};
  uwsgi_temp_path ${temp('uwsgi')};
  scgi_temp_path ${temp('scgi')};
  access_log off;
  include ${path.join(dir, 'feedline-gate.conf')};
}
`;
}

async function get(streamUrl: string): Promise<{ status: number; text: string }> {
  const res = await fetch(streamUrl);
  return { status: res.status, text: await res.text() };
}

async function issue(trackId: string): Promise<string> {
  const answer = await askPlayback(gate, { userId: 'listener-1', trackId, country: 'GB' });
  expect(answer.status).toBe(200);
  return answer.body.streamUrl as string;
}

beforeAll(async () => {
  nginxPort = await freePort();
  world = await openWorld('test/nginx/gate.nginx.ts', { redis: true, env: { FEEDLINE_GATE_MEDIA_BASE_URL: `http://127.0.0.1:${nginxPort}/media` } });
  await applyCsv(world.db, world.config, 'track', 'GB', '20261120', [csvTrack({ id: 5001 }), csvTrack({ id: 5002 })]);
  origin = createServer((req, res) => {
    originRequests.push(req.url ?? '');
    const match = /^\/media\/7digital\/(\d+)(\?|$)/.exec(req.url ?? '');
    if (!match) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'audio/mpeg' }).end(`audio of track ${match[1]}`);
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', () => resolve()));
  gate = await world.startGate({ now: () => Date.now() + clockOffsetMs });
  const dir = tempDir('feedline-nginx-');
  chmodSync(dir, 0o755);
  const conf = path.join(dir, 'nginx.conf');
  writeFileSync(conf, nginxConfig(dir, gate.port, (origin.address() as { port: number }).port));
  let stderr = '';
  nginx = spawn(NGINX, ['-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  nginx.stderr!.on('data', (d) => (stderr += d));
  await waitFor(async () => {
    if (nginx.exitCode !== null) throw new Error(`nginx exited: ${stderr}`);
    return fetch(`http://127.0.0.1:${nginxPort}/`).then(() => true, () => false);
  }, 10_000);
});

afterAll(async () => {
  if (nginx && nginx.exitCode === null) {
    const exited = new Promise((resolve) => nginx.once('exit', resolve));
    nginx.kill('SIGQUIT');
    await exited;
  }
  await new Promise((resolve) => origin?.close(resolve));
  await world?.close();
});

describe('nginx auth_request in front of the media files', () => {
  it('serves a signed URL once; the second request is 409', async () => {
    const url = await issue('5001');
    expect(await get(url)).toEqual({ status: 200, text: 'audio of track 5001' });
    expect((await get(url)).status).toBe(409);
    expect(originRequests).toHaveLength(1);
  });
  it('refuses a tampered URL (403) and one without a token (403)', async () => {
    const url = await issue('5001');
    expect((await get(url.replace('/5001?', '/5002?'))).status).toBe(403);
    expect((await get(url.split('?')[0]!)).status).toBe(403);
    // The untouched URL is still good: refusals do not consume it.
    expect((await get(url)).status).toBe(200);
  });
  it('410 for an expired URL', async () => {
    const url = await issue('5001');
    clockOffsetMs = (world.config.gate.urlTtlSeconds + world.config.gate.clockSkewSeconds + 1) * 1000;
    try {
      expect((await get(url)).status).toBe(410);
    } finally {
      clockOffsetMs = 0;
    }
  });
  it('a takedown applied by the next feed refuses a URL issued before it, within 2 s', async () => {
    const url = await issue('5002');
    await applyCsv(world.db, world.config, 'track', 'GB', '20261121', [csvTrack({ id: 5002 }, 'D')]);
    const appliedAt = Date.now();
    expect((await get(url)).status).toBe(403);
    expect(Date.now() - appliedAt).toBeLessThan(2_000);
    expect((await askPlayback(gate, { userId: 'listener-1', trackId: '5002', country: 'GB' })).body).toEqual({ reason: 'taken_down' });
  });
  it('never writes a token to its logs', () => {
    const dir = path.dirname(String(nginx.spawnargs[nginx.spawnargs.indexOf('-c') + 1]));
    for (const log of ['media.log', 'media-error.log']) {
      const text = readFileSync(path.join(dir, log), 'utf8');
      expect(text).not.toContain('token=');
    }
    expect(readFileSync(path.join(dir, 'media.log'), 'utf8')).toContain('GET /media/7digital/5001');
  });
  it('fails closed (503) when the gate is down', async () => {
    const url = await issue('5001');
    await gate.close();
    world.gates.splice(world.gates.indexOf(gate), 1);
    expect((await get(url)).status).toBe(503);
  });
});
