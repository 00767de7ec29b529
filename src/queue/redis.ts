// Redis connections for BullMQ: one Redis, or a Redis Cluster when REDIS_URL is
// `redis+cluster://host:port,host:port` (FEEDLINE_REDIS_CLUSTER_NODES gives the same URL,
// src/config/load.ts). Workers block on Redis, so their connections must retry forever
// (`maxRetriesPerRequest: null`, BullMQ's production guide); producers fail fast.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { describeUrl } from '../config/load.js';
import { UnreachableError } from '../errors.js';

/** Everything feedline hands BullMQ or runs commands on: a single Redis or a cluster. */
export type RedisConnection = Redis | Cluster;

export interface ClusterAddress {
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
  tls: boolean;
}

const CLUSTER_URL = /^(rediss?)\+cluster:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)\/?$/i;

/** The seed nodes of a `redis+cluster://` (or `rediss+cluster://`) URL; undefined for any other URL. */
export function parseClusterUrl(url: string): ClusterAddress | undefined {
  const match = CLUSTER_URL.exec(url);
  if (!match) return undefined;
  const [, scheme, username, password, hosts] = match;
  const nodes = hosts!.split(',').map((hostPort) => {
    const at = hostPort.lastIndexOf(':');
    const port = Number(hostPort.slice(at + 1));
    if (at <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new TypeError(`REDIS_URL: "${hostPort}" is not host:port`);
    return { host: hostPort.slice(0, at), port };
  });
  return {
    nodes,
    username: username ? decodeURIComponent(username) : undefined,
    password: password ? decodeURIComponent(password) : undefined,
    tls: scheme!.toLowerCase() === 'rediss',
  };
}

/** Where Redis is, without credentials: for messages. */
export function describeRedis(url: string): string {
  const cluster = parseClusterUrl(url);
  return cluster ? `cluster ${cluster.nodes.map((n) => `${n.host}:${n.port}`).join(',')}` : describeUrl(url);
}

function connectRedis(url: string, role: 'producer' | 'worker'): RedisConnection {
  const options: RedisOptions = { maxRetriesPerRequest: role === 'worker' ? null : 3, enableReadyCheck: true };
  const cluster = parseClusterUrl(url);
  if (!cluster) return new Redis(url, { ...options, lazyConnect: true });
  return new Cluster(cluster.nodes, {
    lazyConnect: true,
    enableReadyCheck: true,
    redisOptions: { ...options, username: cluster.username, password: cluster.password, ...(cluster.tls ? { tls: {} } : {}) },
  });
}

/** Connects and pings once, so an unreachable Redis is exit code 5 at start-up, not a hang. */
export async function openRedis(url: string, role: 'producer' | 'worker'): Promise<RedisConnection> {
  const redis = connectRedis(url, role);
  redis.on('error', () => {
    // Reconnection is ioredis's job; failures surface on the commands that need Redis.
  });
  try {
    await withTimeout(redis.connect().then(() => redis.ping()), 5000);
  } catch (err) {
    redis.disconnect();
    throw new UnreachableError('Redis', describeRedis(url), { cause: err });
  }
  return redis;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`no answer in ${ms} ms`), { code: 'ETIMEDOUT' })), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
