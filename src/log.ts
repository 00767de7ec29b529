// One pino root per entry point, passed down; child loggers add bindings as work narrows
// (component, runId, batch). JSON on stderr; pretty only when stderr is a terminal.
import pino, { type Logger } from 'pino';

export type { Logger };

/** Fields named like a secret are censored whatever their value. */
const REDACT_PATHS = ['password', 'token', 'secret', 'authorization', 'headers.authorization', 'headers.cookie', 'url.password'];
const CENSOR = '[redacted]';

export interface LogOptions {
  level?: string;
  /** Where to write; defaults to stderr so stdout stays for command results. */
  destination?: pino.DestinationStream;
  pretty?: boolean;
  /**
   * Values censored wherever they appear in a line, however they got there: the settings
   * marked secret in src/config/schema.ts (config.secrets).
   */
  secrets?: readonly string[];
}

export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? 'info';
  const censor = censorer(options.secrets ?? []);
  const base = { level, redact: { paths: REDACT_PATHS, censor: CENSOR }, base: { pid: process.pid }, hooks: { streamWrite: censor } };
  if (options.destination) return pino(base, options.destination);
  if (options.pretty ?? process.stderr.isTTY) {
    return pino({ ...base, transport: { target: 'pino-pretty', options: { destination: 2, translateTime: 'SYS:HH:MM:ss' } } });
  }
  return pino(base, pino.destination({ dest: 2, sync: false }));
}

/** Replaces every secret, as written and as escaped in JSON, with the censor mark; longest first. */
export function censorer(secrets: readonly string[]): (text: string) => string {
  const forms = [...new Set(secrets.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]))].filter(Boolean).sort((a, b) => b.length - a.length);
  if (forms.length === 0) return (text) => text;
  const pattern = new RegExp(forms.map((f) => f.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
  return (text) => text.replace(pattern, CENSOR);
}
