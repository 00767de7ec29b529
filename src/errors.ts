// Typed errors, each with the exit code the CLI maps it to (README "Exit codes").
// Only src/cli/main.ts turns them into a process exit; the apply worker reads `retryable`
// (src/queue/worker.ts): a job that failed with a non-retryable one fails at once.
import { DrizzleQueryError } from 'drizzle-orm';

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  feedRejected: 3,
  notFound: 4,
  unreachable: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export abstract class FeedlineError extends Error {
  abstract readonly code: string;
  abstract readonly exitCode: number;
  /** Whether trying the same work again may succeed. */
  readonly retryable: boolean = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Bad flags, arguments or configuration. */
export class UsageError extends FeedlineError {
  readonly code = 'usage';
  readonly exitCode = ExitCode.usage;
}

/** A file that cannot be a feed of the expected kind: rejected whole, nothing applied. */
export class FeedRejectedError extends FeedlineError {
  readonly code = 'feed_rejected';
  readonly exitCode = ExitCode.feedRejected;
  constructor(readonly file: string, readonly reason: string, options?: { cause?: unknown }) {
    super(`${file}: rejected: ${reason}`, options);
  }
}

/** Where a DDEX message stops being readable: the reader's fatal problem (src/parse/ddex). */
export interface MessageProblem {
  file: string;
  line: number;
  column: number;
  reason: string;
  detail: string;
}

/** A DDEX message rejected for a fatal problem, kept whole so that it goes on record as a quarantine row. */
export class DdexRejectedError extends FeedRejectedError {
  constructor(readonly problem: MessageProblem, options?: { cause?: unknown }) {
    super(problem.file, `${problem.reason} at line ${problem.line}, column ${problem.column}: ${problem.detail}`, options);
  }
}

export class NotFoundError extends FeedlineError {
  readonly code = 'not_found';
  readonly exitCode = ExitCode.notFound;
}

/** A batch job that no attempt can apply (its batch is not in the ledger): retrying only delays the failure. */
export class UnrecoverableBatchError extends FeedlineError {
  readonly code = 'batch_unrecoverable';
  readonly exitCode = ExitCode.unexpected;
}

/**
 * Runs whose counts do not add up (src/catalogue/run-counts.ts): each has lost changes
 * somewhere and is not marked applied. A bug, never bad input: retrying gives the same counts.
 */
export class UnaccountedChangesError extends FeedlineError {
  readonly code = 'changes_not_accounted_for';
  readonly exitCode = ExitCode.unexpected;
  constructor(readonly reasons: readonly string[]) {
    super(reasons.join('; '));
  }
}

/** Whether trying again is pointless: a FeedlineError that says it is not retryable. */
export function isUnrecoverable(thrown: unknown): thrown is FeedlineError {
  return thrown instanceof FeedlineError && !thrown.retryable;
}

/** PostgreSQL or Redis cannot be reached; the message names which and where (never the password). */
export class UnreachableError extends FeedlineError {
  readonly code = 'unreachable';
  readonly exitCode = ExitCode.unreachable;
  override readonly retryable = true;
  constructor(readonly service: 'PostgreSQL' | 'Redis' | 'feed server', readonly where: string, options?: { cause?: unknown }) {
    super(`${service} is unreachable at ${where}${causeSuffix(options?.cause)}`, options);
  }
}

/** Turns anything thrown into an Error (graphile-worker's coerceError). */
export function coerceError(thrown: unknown): Error {
  // drizzle wraps driver errors with the whole statement and its parameters (feed data):
  // the driver's error underneath is the one worth reporting.
  if (thrown instanceof DrizzleQueryError && thrown.cause instanceof Error) return thrown.cause;
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown));
}

function causeSuffix(cause: unknown): string {
  if (cause === undefined) return '';
  const err = coerceError(cause);
  const code = (err as NodeJS.ErrnoException).code;
  return `: ${code ?? err.message}`;
}

/** Node's socket error codes that mean "nobody answered there". */
const CONNECTION_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'EPIPE',
  'CONNECT_TIMEOUT', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED',
]);

/** PostgreSQL SQLSTATEs that mean the server is going away or not yet accepting work. */
const PG_UNAVAILABLE_SQLSTATES: ReadonlySet<string> = new Set([
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', '08003', '08006', '08001', '08004',
]);

export function isConnectionError(thrown: unknown): boolean {
  const code = (coerceError(thrown) as { code?: unknown }).code;
  return typeof code === 'string' && (CONNECTION_ERROR_CODES.has(code) || PG_UNAVAILABLE_SQLSTATES.has(code));
}

/**
 * Whether PostgreSQL refused the statement for its values (SQLSTATE class 22, data exception:
 * a NUL, a number out of range, a date that does not exist; class 23, a constraint): trying it
 * again will not help, unlike a lost connection, a deadlock or a serialization failure.
 */
export function isRefusedValue(thrown: unknown): boolean {
  const code = (coerceError(thrown) as { code?: unknown }).code;
  return typeof code === 'string' && /^2[23]/.test(code);
}

/** The database's reason when it refused a statement's values (isRefusedValue); undefined for any other error. */
export function refusalOf(thrown: unknown): string | undefined {
  return isRefusedValue(thrown) ? `refused by the database: ${coerceError(thrown).message}` : undefined;
}
