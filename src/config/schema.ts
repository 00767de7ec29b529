// The validated shape of feedline's configuration. Everything that reads settings
// takes a `Config`; nothing else reads process.env (src/config/load.ts does, once).
import { z } from 'zod';
import type { GateConfig } from './gate.js';

export const ENTITIES = ['track', 'release', 'artist'] as const;
export type Entity = (typeof ENTITIES)[number];
export const FEED_KINDS = ['full', 'updates'] as const;
export type FeedKind = (typeof FEED_KINDS)[number];

const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as GB');
const positiveInt = z.coerce.number().int().positive();
const hours = z.coerce.number().positive();
const boolFlag = z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => ['true', '1', 'yes'].includes(v));
const list = z.string().transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));
const url = z.string().url();

/**
 * Marks a setting whose value is a secret (or holds one, as a URL's password does): it may be
 * given as NAME_FILE, and its values are censored in every log line (src/log.ts).
 */
const SECRET = 'secret';

/**
 * Environment variables: name -> [schema, default, help, SECRET?]. The README and `feedline --help`
 * print this table, so a setting is documented where it is defined.
 */
export const ENV = {
  DATABASE_URL: [url.optional(), undefined, 'PostgreSQL URL. Unset: embedded PGlite in $FEEDLINE_HOME/pgdata.', SECRET],
  REDIS_URL: [z.string().regex(/^rediss?(\+cluster)?:\/\/\S+$/, 'must be redis://, rediss:// or redis+cluster://host:port,host:port').optional(), undefined, 'Redis URL for BullMQ (redis+cluster://host:port,host:port for a Redis Cluster). Unset: batches are applied in-process, no queue.', SECRET],
  FEEDLINE_REDIS_CLUSTER_NODES: [list.optional(), undefined, 'Redis Cluster seed nodes, host:port,host:port (instead of a redis+cluster:// REDIS_URL).'],
  FEEDLINE_ARCHIVE: [z.enum(['dir', 'postgres']), 'dir', 'Where raw feed files are archived: dir ($FEEDLINE_HOME/archive) or postgres (in the database: workers need no shared disk).'],
  FEEDLINE_HOME: [z.string().min(1), './.feedline', 'Local data directory: embedded database, the dir archive (with postgres: working copies only, nothing shared).'],
  LOG_LEVEL: [z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', 'pino log level.'],
  FEEDLINE_SOURCE: [z.string().regex(/^[A-Za-z0-9._-]+$/), '7digital', 'Name of the CSV provider; the default --source.'],
  FEEDLINE_BATCH_SIZE: [positiveInt.max(100_000), '5000', 'Rows per batch (one BullMQ job, one transaction).'],
  FEEDLINE_MAX_QUEUED_BATCHES: [positiveInt, '8', 'Backpressure: batches waiting in Redis before parsing pauses.'],
  FEEDLINE_WORKER_CONCURRENCY: [positiveInt.max(64), '2', 'Batches one worker process applies at once.'],
  FEEDLINE_WORKER_NICE: [z.coerce.number().int().min(0).max(19), '0', 'Niceness a `feedline worker` (or `serve --role worker`) process gives itself, so a receiver on the same cores is served first.'],
  FEEDLINE_JOB_ATTEMPTS: [positiveInt.max(100), '5', 'Attempts per batch before its rows are quarantined one by one.'],
  FEEDLINE_JOB_LOCK_MS: [positiveInt, '30000', 'A batch whose worker stops renewing its lock this long (killed) is handed to another.'],
  FEEDLINE_RECOVERY_INTERVAL_MS: [positiveInt, '15000', 'How often workers re-enqueue work the ledger has and the queue lost.'],
  FEEDLINE_STALE_PARSE_SECONDS: [positiveInt, '60', 'A run whose parser shows no sign of life this long is resumed by another process.'],
  FEEDLINE_QUEUE_PREFIX: [z.string().regex(/^[A-Za-z0-9_-]+$/), 'feedline', 'BullMQ key prefix in Redis.'],
  FEEDLINE_MAX_INFLATED_BYTES: [positiveInt, String(20 * 1024 ** 3), 'A gzip feed inflating beyond this is rejected (gzip bomb guard).'],
  FEEDLINE_MAX_FIELD_BYTES: [positiveInt, String(1024 * 1024), 'A CSV field longer than this quarantines its row.'],
  FEEDLINE_PUBLICATION_HOUR: [z.coerce.number().int().min(0).max(23), '6', 'UTC hour the provider publishes a day\'s feed (SLA start).'],
  FEEDLINE_SLA_HOURS: [hours, '24', 'Licence window from publication to live (docs/feeds.md).'],
  FEEDLINE_SLA_WARNING_HOURS: [hours, '20', 'Age at which a pending change raises a warning.'],
  FEEDLINE_SLA_SWEEP_CRON: [z.string(), '* * * * *', 'How often the SLA sweep recomputes from PostgreSQL.'],
  FEEDLINE_QUARANTINE_ALERT_SHARE: [z.coerce.number().min(0).max(1), '0.01', 'Quarantined share of a feed that raises an alert.'],
  FEEDLINE_WEBHOOK_URLS: [list, '', 'Comma-separated URLs that receive alerts as JSON (Slack-compatible `text`).', SECRET],
  FEEDLINE_WEBHOOK_TIMEOUT_MS: [positiveInt, '5000', 'Timeout of one webhook POST.'],
  FEEDLINE_PROVIDER_BASE_URL: [url.optional(), undefined, 'Provider feeds API base, e.g. https://feeds.example.com/1.2.'],
  FEEDLINE_OAUTH_CONSUMER_KEY: [z.string().optional(), undefined, 'OAuth 1.0a consumer key (or FEEDLINE_OAUTH_CONSUMER_KEY_FILE).', SECRET],
  FEEDLINE_OAUTH_CONSUMER_SECRET: [z.string().optional(), undefined, 'OAuth 1.0a consumer secret (or FEEDLINE_OAUTH_CONSUMER_SECRET_FILE).', SECRET],
  FEEDLINE_FEEDS: [list, 'track/updates,release/updates,track/full,release/full', 'Feeds pulled: entity/kind pairs.'],
  FEEDLINE_COUNTRIES: [list.pipe(z.array(countryCode)), 'GB', 'Countries pulled for every feed.'],
  FEEDLINE_FULL_FEED_DAYS: [z.string(), '* * 1', 'Days a full feed is published, as cron day fields (day-of-month month day-of-week): Mondays.'],
  FEEDLINE_SCHEDULE_CRON: [z.string(), '*/10 * * * *', 'How often the scheduler looks for due feeds.'],
  FEEDLINE_TIMEZONE: [z.string(), 'UTC', 'Time zone of the schedules.'],
  FEEDLINE_GIVE_UP_HOURS: [hours, '6', 'Hours after publication a feed may be absent (404) before it counts as missing.'],
  FEEDLINE_MAX_BACKLOG_DAYS: [positiveInt, '14', 'Missed days caught up automatically; beyond this, alert and wait.'],
  FEEDLINE_START_DATE: [z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(), undefined, 'First feed date to pull when a feed has no cursor (default: the latest date already published).'],
  FEEDLINE_FETCH_TIMEOUT_MS: [positiveInt, '60000', 'Timeout for a feed download to start and between body chunks.'],
  FEEDLINE_FETCH_RETRIES: [z.coerce.number().int().min(0), '5', 'Retries of a network error, 5xx or 429 within one fetch.'],
  FEEDLINE_ALLOW_HTTP: [boolFlag, 'false', 'Allow plain http feed URLs (local testing only).'],
  FEEDLINE_CA_FILE: [z.string().optional(), undefined, 'Extra CA certificate (PEM) trusted for the provider.'],
  FEEDLINE_ARCHIVE_RETENTION_DAYS: [positiveInt, '90', 'Days raw feed files are kept in the archive.'],
  FEEDLINE_RECONCILE_MAX_SHARE: [z.coerce.number().min(0).max(1), '0.02', 'A full feed may take down at most this share of live items unconfirmed.'],
  FEEDLINE_DDEX_DROP_DIR: [z.string().optional(), undefined, 'Directory watched by `serve` for DDEX deliveries.'],
  FEEDLINE_DDEX_RECIPIENT_PARTY_ID: [z.string().optional(), undefined, "This service's DDEX PartyId: a deal whose DistributionChannel names other parties only makes nothing available. Unset: each message's MessageRecipient. Also the MessageSender of every DDEX acknowledgement (ACK_*.xml)."],
  FEEDLINE_DDEX_ACK_DIR: [z.string().optional(), undefined, 'Where DDEX acknowledgements (ACK_*.xml) are written, one folder per BatchId; unset: beside each message in its batch folder.'],
  FEEDLINE_EVENTS_HOST: [z.string(), '127.0.0.1', 'Address of the Catalogue Events receiver (`serve --role events`).'],
  FEEDLINE_EVENTS_PORT: [z.coerce.number().int().min(0).max(65535), '8081', 'Port of the Catalogue Events receiver.'],
  FEEDLINE_EVENTS_TLS_CERT_FILE: [z.string().optional(), undefined, 'TLS certificate chain (PEM) of the receiver; unset: plain HTTP behind a TLS-terminating proxy.'],
  FEEDLINE_EVENTS_TLS_KEY_FILE: [z.string().optional(), undefined, 'TLS private key (PEM) of the receiver.'],
  FEEDLINE_EVENTS_PUBLIC_KEY_FILE: [z.string().optional(), undefined, "The provider's token keys: PEM public keys or certificates (several for rotation), or a JWKS."],
  FEEDLINE_EVENTS_LEEWAY_SECONDS: [z.coerce.number().int().min(0).max(300), '30', 'Clock leeway for the token expiry and not-before.'],
  FEEDLINE_EVENTS_STANDARD_PATH: [z.string().regex(/^\/[\w./-]*$/), '/events/standard', 'Path of the Standard Metadata endpoint.'],
  FEEDLINE_EVENTS_ENHANCED_PATH: [z.string().regex(/^\/[\w./-]*$/), '/events/enhanced', 'Path of the Enhanced Metadata endpoint.'],
  FEEDLINE_EVENTS_MAX_BODY_BYTES: [positiveInt, String(8 * 1024 * 1024), 'Largest event body after gzip inflation (413 past it).'],
  FEEDLINE_EVENTS_STORE_TIMEOUT_MS: [positiveInt.max(9000), '5000', 'An event not stored in PostgreSQL within this is answered 503 (the provider retries).'],
  FEEDLINE_EVENTS_POOL_SIZE: [positiveInt.max(100), '3', "PostgreSQL connections of the receiver's own, for its inbox stores only (with DATABASE_URL)."],
  FEEDLINE_EVENTS_ENHANCED_WAIT_SECONDS: [positiveInt, '3600', 'How long Enhanced Metadata waits for its track before it is rejected.'],
  FEEDLINE_EVENTS_SWEEP_SECONDS: [positiveInt, '30', 'How often open events are re-submitted to apply (lost jobs, waiting enhancements).'],
  FEEDLINE_EVENTS_APPLY_CONCURRENCY: [positiveInt.max(16), '1', 'Catalogue Events jobs one worker process applies at once (each up to 100 events in one transaction per round).'],
  FEEDLINE_HTTP_HOST: [z.string(), '127.0.0.1', 'Address of the HTTP server (health, metrics, dashboards).'],
  FEEDLINE_HTTP_PORT: [z.coerce.number().int().min(0).max(65535), '8080', 'Port of the HTTP server.'],
  FEEDLINE_DASHBOARD_TOKEN: [z.string().min(16).optional(), undefined, 'Bearer token for the dashboards and /metrics.', SECRET],
  FEEDLINE_DASHBOARD_USER: [z.string().optional(), undefined, 'Basic-auth user for the dashboards (with FEEDLINE_DASHBOARD_PASSWORD).'],
  FEEDLINE_DASHBOARD_PASSWORD: [z.string().min(8).optional(), undefined, 'Password of FEEDLINE_DASHBOARD_USER (login page and basic auth).', SECRET],
  FEEDLINE_DASHBOARD_PASSWORD_HASH: [z.string().startsWith('scrypt$').optional(), undefined, 'Instead of FEEDLINE_DASHBOARD_PASSWORD: its hash from `feedline hash-password`.', SECRET],
  FEEDLINE_DASHBOARD_ADMIN_USER: [z.string().optional(), undefined, 'The one user who may retry, promote or clean jobs in bull-board (read-only for everyone else).'],
  FEEDLINE_DASHBOARD_ADMIN_PASSWORD: [z.string().min(8).optional(), undefined, 'Password of FEEDLINE_DASHBOARD_ADMIN_USER.', SECRET],
  FEEDLINE_DASHBOARD_ADMIN_PASSWORD_HASH: [z.string().startsWith('scrypt$').optional(), undefined, 'Instead of FEEDLINE_DASHBOARD_ADMIN_PASSWORD: its hash from `feedline hash-password`.', SECRET],
  FEEDLINE_SESSION_SECRET: [z.string().min(32).optional(), undefined, 'Signs login sessions; the same on every api replica. Unset: derived from the configured credentials.', SECRET],
  FEEDLINE_SESSION_HOURS: [z.coerce.number().positive().max(24 * 30), '12', 'A login session expires after this many hours.'],
  FEEDLINE_SHUTDOWN_GRACE_MS: [positiveInt, '30000', 'On SIGTERM, how long every part of a process (jobs, sweeps, servers) may finish the work in hand.'],
  FEEDLINE_EXIT_WITH_PARENT: [boolFlag.optional(), undefined, 'serve and worker stop when the process that started them goes away. Unset: only when started through npm (npx, npm exec, npm start), which may not pass a signal on; never under nohup, setsid or a daemonizer.'],
  // Playback gate (README "Playback gate"; src/config/gate.ts).
  FEEDLINE_GATE_HOST: [z.string(), '127.0.0.1', 'Address of the playback gate (serve --role gate or all).'],
  FEEDLINE_GATE_PORT: [z.coerce.number().int().min(0).max(65535), '8090', 'Port of the playback gate.'],
  FEEDLINE_GATE_PROCESSES: [positiveInt.max(64), '1', 'Gate processes (node:cluster, sharing the port) for serve --role gate.'],
  FEEDLINE_GATE_MEDIA_BASE_URL: [url.optional(), undefined, 'Base of stream URLs (the media host behind the edge), e.g. https://media.example.com/media.'],
  FEEDLINE_GATE_KEYS: [z.string().optional(), undefined, 'URL signing keys, id:secret (32+ chars) separated by commas or lines; all verify (or FEEDLINE_GATE_KEYS_FILE).', SECRET],
  FEEDLINE_GATE_SIGNING_KEY_ID: [z.string().optional(), undefined, 'The key that signs new URLs (default: the first of FEEDLINE_GATE_KEYS).'],
  FEEDLINE_GATE_TOKENS: [z.string().optional(), undefined, 'Calling services, name:bearer-token (16+ chars), separated by commas or lines (or FEEDLINE_GATE_TOKENS_FILE).', SECRET],
  FEEDLINE_GATE_URL_TTL_SECONDS: [positiveInt, '3600', 'Lifetime of a signed stream URL.'],
  FEEDLINE_GATE_CLOCK_SKEW_SECONDS: [z.coerce.number().int().min(0).max(600), '30', 'Clock skew allowed when checking a URL\'s expiry.'],
  FEEDLINE_GATE_RATE_LIMIT: [positiveInt, '5000', 'Requests per second each calling service may make (shared by the gate processes of one host).'],
  FEEDLINE_PLAYS_FORWARD_INTERVAL_MS: [positiveInt, '5000', 'How often the gate forwards stored plays to the provider\'s stream log.'],
} as const satisfies Record<string, readonly [z.ZodType, string | undefined, string] | readonly [z.ZodType, string | undefined, string, typeof SECRET]>;

export type EnvName = keyof typeof ENV;

/** The settings marked SECRET above. */
export const SECRET_SETTINGS: readonly EnvName[] = (Object.keys(ENV) as EnvName[]).filter((name) => (ENV[name] as readonly unknown[])[3] === SECRET);

export interface FeedSpec {
  entity: Entity;
  kind: FeedKind;
  country: string;
}

/** The resolved configuration: frozen, typed apart from the raw environment. */
export interface Config {
  databaseUrl: string | undefined;
  redisUrl: string | undefined;
  archive: 'dir' | 'postgres';
  home: string;
  logLevel: string;
  source: string;
  batchSize: number;
  maxQueuedBatches: number;
  workerConcurrency: number;
  workerNice: number;
  jobAttempts: number;
  jobLockMs: number;
  recoveryIntervalMs: number;
  staleParseSeconds: number;
  queuePrefix: string;
  maxInflatedBytes: number;
  maxFieldBytes: number;
  publicationHour: number;
  sla: { windowHours: number; warningHours: number; sweepCron: string; quarantineAlertShare: number };
  webhooks: { urls: string[]; timeoutMs: number };
  provider: {
    baseUrl: string | undefined;
    consumerKey: string | undefined;
    consumerSecret: string | undefined;
    feeds: FeedSpec[];
    fullFeedDays: string;
    scheduleCron: string;
    timezone: string;
    giveUpHours: number;
    maxBacklogDays: number;
    startDate: string | undefined;
    fetchTimeoutMs: number;
    fetchRetries: number;
    allowHttp: boolean;
    caFile: string | undefined;
    archiveRetentionDays: number;
    reconcileMaxShare: number;
  };
  ddexRecipientPartyId: string | undefined;
  ddexDropDir: string | undefined;
  ddexAckDir: string | undefined;
  events: {
    host: string;
    port: number;
    tlsCertFile: string | undefined;
    tlsKeyFile: string | undefined;
    publicKeyFile: string | undefined;
    leewaySeconds: number;
    standardPath: string;
    enhancedPath: string;
    maxBodyBytes: number;
    storeTimeoutMs: number;
    poolSize: number;
    enhancedWaitSeconds: number;
    sweepSeconds: number;
    applyConcurrency: number;
  };
  http: {
    host: string;
    port: number;
    token: string | undefined;
    user: string | undefined;
    password: string | undefined;
    /** scrypt hash of `password` (src/http/passwords.ts), when given instead of it. */
    passwordHash: string | undefined;
    adminUser: string | undefined;
    adminPassword: string | undefined;
    adminPasswordHash: string | undefined;
    sessionSecret: string | undefined;
    sessionHours: number;
  };
  gate: GateConfig;
  /** On SIGTERM, how long every part of a process (jobs, sweeps, servers) may finish work in hand. */
  shutdownGraceMs: number;
  /** Watch the parent process and stop when it goes (src/cli/parent-watch.ts). */
  exitWithParent: boolean;
  /** Every value of the SECRET settings (and the parts that are secrets on their own), for the logger to censor. */
  secrets: readonly string[];
}
