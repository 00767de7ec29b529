// One pino root per entry point, passed down; child loggers add bindings as work narrows
// (component, runId, batch). JSON on stderr; pretty only when stderr is a terminal.
import pino, { type Logger } from 'pino';

export type { Logger };

/** Fixed redaction paths: secrets never reach a log line (issue 7). */
const REDACT_PATHS = [
  'config.databaseUrl', 'config.redisUrl', 'config.provider.consumerSecret', 'config.provider.consumerKey',
  'config.webhookUrls', 'config.dashboardToken', 'config.dashboardPassword',
  'databaseUrl', 'redisUrl', 'consumerSecret', 'password', 'token', 'authorization', 'headers.authorization',
  'webhookUrl', 'url.password',
];

export interface LogOptions {
  level?: string;
  /** Where to write; defaults to stderr so stdout stays for command results. */
  destination?: pino.DestinationStream;
  pretty?: boolean;
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? 'info';
  const base = { level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { pid: process.pid } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty ?? process.stderr.isTTY) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(base, pino.destination({ dest: 2, sync: false }));
}
