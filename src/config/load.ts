// Reads the environment once, validates every variable in one pass and reports all
// problems together, each naming its variable. Values from `*_FILE` variables (container
// secrets) are read here too. Nothing runs on import.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { gateConfig } from './gate.js';
import { ENTITIES, ENV, FEED_KINDS, SECRET_SETTINGS, type Config, type EnvName, type Entity, type FeedKind, type FeedSpec } from './schema.js';

type Env = Record<string, string | undefined>;
type Parsed = { [K in EnvName]: z.output<(typeof ENV)[K][0]> };

/** Shorter values are not censored in logs: every such letter pair would be. */
const MIN_CENSORED_LENGTH = 3;

export function loadConfig(env: Env = process.env, overrides: Partial<Record<EnvName, string>> = {}): Config {
  const problems: string[] = [];
  const raw: Env = { ...env, ...overrides };
  for (const name of SECRET_SETTINGS) {
    const file = raw[`${name}_FILE`];
    if (file && raw[name] === undefined) {
      try {
        raw[name] = readFileSync(file, 'utf8').trim();
      } catch (err) {
        problems.push(`${name}_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    }
  }

  const parsed: Partial<Parsed> = {};
  for (const [name, [schema, fallback]] of Object.entries(ENV) as [EnvName, (typeof ENV)[EnvName]][]) {
    const value = raw[name] === '' && fallback !== '' ? undefined : raw[name];
    const result = (schema as z.ZodType).safeParse(value ?? fallback);
    if (result.success) (parsed as Record<string, unknown>)[name] = result.data;
    else problems.push(`${name}: ${result.error.issues.map((i) => i.message).join('; ')}`);
  }
  const p = parsed as Parsed;

  const feeds: FeedSpec[] = [];
  for (const pair of p.FEEDLINE_FEEDS ?? []) {
    const [entity, kind] = pair.split('/');
    if (!ENTITIES.includes(entity as Entity) || !FEED_KINDS.includes(kind as FeedKind)) {
      problems.push(`FEEDLINE_FEEDS: "${pair}" is not entity/kind (entity: ${ENTITIES.join('|')}, kind: ${FEED_KINDS.join('|')})`);
      continue;
    }
    for (const country of p.FEEDLINE_COUNTRIES ?? []) feeds.push({ entity: entity as Entity, kind: kind as FeedKind, country });
  }
  if (p.FEEDLINE_SLA_WARNING_HOURS !== undefined && p.FEEDLINE_SLA_HOURS !== undefined && p.FEEDLINE_SLA_WARNING_HOURS >= p.FEEDLINE_SLA_HOURS) {
    problems.push('FEEDLINE_SLA_WARNING_HOURS: must be less than FEEDLINE_SLA_HOURS');
  }
  for (const [user, password, hash] of [['FEEDLINE_DASHBOARD_USER', 'FEEDLINE_DASHBOARD_PASSWORD', 'FEEDLINE_DASHBOARD_PASSWORD_HASH'], ['FEEDLINE_DASHBOARD_ADMIN_USER', 'FEEDLINE_DASHBOARD_ADMIN_PASSWORD', 'FEEDLINE_DASHBOARD_ADMIN_PASSWORD_HASH']] as const) {
    const secrets = [p[password], p[hash]].filter((v) => v !== undefined).length;
    if (secrets > 1) problems.push(`${password} and ${hash}: set one, not both`);
    else if ((p[user] === undefined) !== (secrets === 0)) problems.push(`${user} and ${password} (or ${hash}): set both or neither`);
  }
  const gate = gateConfig(p, problems);
  if (problems.length > 0) {
    throw new UsageError(`invalid configuration:\n  ${problems.join('\n  ')}`);
  }

  return deepFreeze({
    databaseUrl: p.DATABASE_URL,
    // Cluster seed nodes given apart name the same thing as a redis+cluster:// URL.
    redisUrl: p.REDIS_URL ?? (p.FEEDLINE_REDIS_CLUSTER_NODES?.length ? `redis+cluster://${p.FEEDLINE_REDIS_CLUSTER_NODES.join(',')}` : undefined),
    archive: p.FEEDLINE_ARCHIVE,
    home: path.resolve(p.FEEDLINE_HOME),
    logLevel: p.LOG_LEVEL,
    source: p.FEEDLINE_SOURCE,
    batchSize: p.FEEDLINE_BATCH_SIZE,
    maxQueuedBatches: p.FEEDLINE_MAX_QUEUED_BATCHES,
    workerConcurrency: p.FEEDLINE_WORKER_CONCURRENCY,
    workerNice: p.FEEDLINE_WORKER_NICE,
    jobAttempts: p.FEEDLINE_JOB_ATTEMPTS,
    jobLockMs: p.FEEDLINE_JOB_LOCK_MS,
    recoveryIntervalMs: p.FEEDLINE_RECOVERY_INTERVAL_MS,
    staleParseSeconds: p.FEEDLINE_STALE_PARSE_SECONDS,
    queuePrefix: p.FEEDLINE_QUEUE_PREFIX,
    maxInflatedBytes: p.FEEDLINE_MAX_INFLATED_BYTES,
    maxFieldBytes: p.FEEDLINE_MAX_FIELD_BYTES,
    publicationHour: p.FEEDLINE_PUBLICATION_HOUR,
    sla: {
      windowHours: p.FEEDLINE_SLA_HOURS,
      warningHours: p.FEEDLINE_SLA_WARNING_HOURS,
      sweepCron: p.FEEDLINE_SLA_SWEEP_CRON,
      quarantineAlertShare: p.FEEDLINE_QUARANTINE_ALERT_SHARE,
    },
    webhooks: { urls: p.FEEDLINE_WEBHOOK_URLS, timeoutMs: p.FEEDLINE_WEBHOOK_TIMEOUT_MS },
    provider: {
      baseUrl: p.FEEDLINE_PROVIDER_BASE_URL,
      consumerKey: p.FEEDLINE_OAUTH_CONSUMER_KEY,
      consumerSecret: p.FEEDLINE_OAUTH_CONSUMER_SECRET,
      feeds,
      fullFeedDays: p.FEEDLINE_FULL_FEED_DAYS,
      scheduleCron: p.FEEDLINE_SCHEDULE_CRON,
      timezone: p.FEEDLINE_TIMEZONE,
      giveUpHours: p.FEEDLINE_GIVE_UP_HOURS,
      maxBacklogDays: p.FEEDLINE_MAX_BACKLOG_DAYS,
      startDate: p.FEEDLINE_START_DATE,
      fetchTimeoutMs: p.FEEDLINE_FETCH_TIMEOUT_MS,
      fetchRetries: p.FEEDLINE_FETCH_RETRIES,
      allowHttp: p.FEEDLINE_ALLOW_HTTP,
      caFile: p.FEEDLINE_CA_FILE,
      archiveRetentionDays: p.FEEDLINE_ARCHIVE_RETENTION_DAYS,
      reconcileMaxShare: p.FEEDLINE_RECONCILE_MAX_SHARE,
    },
    ddexDropDir: p.FEEDLINE_DDEX_DROP_DIR,
    ddexAckDir: p.FEEDLINE_DDEX_ACK_DIR,
    ddexRecipientPartyId: p.FEEDLINE_DDEX_RECIPIENT_PARTY_ID,
    events: {
      host: p.FEEDLINE_EVENTS_HOST,
      port: p.FEEDLINE_EVENTS_PORT,
      tlsCertFile: p.FEEDLINE_EVENTS_TLS_CERT_FILE,
      tlsKeyFile: p.FEEDLINE_EVENTS_TLS_KEY_FILE,
      publicKeyFile: p.FEEDLINE_EVENTS_PUBLIC_KEY_FILE,
      leewaySeconds: p.FEEDLINE_EVENTS_LEEWAY_SECONDS,
      standardPath: p.FEEDLINE_EVENTS_STANDARD_PATH,
      enhancedPath: p.FEEDLINE_EVENTS_ENHANCED_PATH,
      maxBodyBytes: p.FEEDLINE_EVENTS_MAX_BODY_BYTES,
      storeTimeoutMs: p.FEEDLINE_EVENTS_STORE_TIMEOUT_MS,
      poolSize: p.FEEDLINE_EVENTS_POOL_SIZE,
      enhancedWaitSeconds: p.FEEDLINE_EVENTS_ENHANCED_WAIT_SECONDS,
      sweepSeconds: p.FEEDLINE_EVENTS_SWEEP_SECONDS,
      applyConcurrency: p.FEEDLINE_EVENTS_APPLY_CONCURRENCY,
    },
    http: {
      host: p.FEEDLINE_HTTP_HOST,
      port: p.FEEDLINE_HTTP_PORT,
      token: p.FEEDLINE_DASHBOARD_TOKEN,
      user: p.FEEDLINE_DASHBOARD_USER,
      password: p.FEEDLINE_DASHBOARD_PASSWORD,
      passwordHash: p.FEEDLINE_DASHBOARD_PASSWORD_HASH,
      adminUser: p.FEEDLINE_DASHBOARD_ADMIN_USER,
      adminPassword: p.FEEDLINE_DASHBOARD_ADMIN_PASSWORD,
      adminPasswordHash: p.FEEDLINE_DASHBOARD_ADMIN_PASSWORD_HASH,
      sessionSecret: p.FEEDLINE_SESSION_SECRET,
      sessionHours: p.FEEDLINE_SESSION_HOURS,
    },
    gate,
    shutdownGraceMs: p.FEEDLINE_SHUTDOWN_GRACE_MS,
    exitWithParent: p.FEEDLINE_EXIT_WITH_PARENT ?? raw.npm_command !== undefined,
    secrets: secretValues(SECRET_SETTINGS.map((name) => raw[name])),
  });
}

/**
 * What the logger censors: each secret setting's value, each entry of a list of them, the
 * secret of a `name:secret` entry and the password of a URL (as written and decoded).
 */
function secretValues(values: (string | undefined)[]): string[] {
  const found = new Set<string>();
  for (const value of values) {
    if (!value) continue;
    found.add(value.trim());
    for (const entry of value.split(/[,\n]/).map((e) => e.trim())) {
      found.add(entry);
      const named = /^[A-Za-z0-9_-]{1,64}:(.+)$/.exec(entry);
      if (named) found.add(named[1]!.trim());
      try {
        const password = new URL(entry).password;
        if (password) found.add(password).add(decodeURIComponent(password));
      } catch {
        // not a URL: nothing more in it
      }
    }
  }
  return [...found].filter((v) => v.length >= MIN_CENSORED_LENGTH);
}

/** Where a URL points, without its credentials: for error messages and logs. */
export function describeUrl(value: string): string {
  try {
    const u = new URL(value);
    return `${u.hostname}:${u.port || (u.protocol.startsWith('redis') ? '6379' : '5432')}`;
  } catch {
    return '(unparseable URL)';
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
