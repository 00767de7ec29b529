// Strict flag parsing for every subcommand: unknown or malformed flags are usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

type Values<T extends Options> = { [K in keyof T]?: T[K]['type'] extends 'boolean' ? boolean : string } & { help?: boolean };

export function parseCommand<T extends Options>(command: string, argv: string[], options: T, positionals: { min: number; max: number }): { values: Values<T>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (err) {
    // main.ts prefixes "feedline COMMAND:"; node's message is enough after it.
    throw new UsageError(`${(err as Error).message.replace(/\. To specify a positional argument.*$/, '')}; see feedline ${command} --help`);
  }
  const values = parsed.values as Values<T>;
  const count = parsed.positionals.length;
  if (!values.help && (count < positionals.min || count > positionals.max)) {
    throw new UsageError(`expected ${positionals.min === positionals.max ? positionals.min : `${positionals.min} to ${positionals.max}`} argument(s), got ${count}; see feedline ${command} --help`);
  }
  return { values, positionals: parsed.positionals };
}

/** A flag given as YYYY-MM-DD. */
export function dateFlag(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(`${value}T00:00:00Z`))) {
    throw new UsageError(`--${name} must be a date YYYY-MM-DD, not ${JSON.stringify(value)}`);
  }
  return value;
}

export function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!allowed.includes(value as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, not ${JSON.stringify(value)}`);
  return value as T;
}
