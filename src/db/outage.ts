// A PostgreSQL restart or failover closes every pooled connection, and postgres.js
// reconnects on the next query. Work that is safe to repeat waits such an outage out with
// backoff instead of failing the process that runs it: every ledger write is (a batch is
// registered once, a heartbeat is a timestamp) and so is applying a batch (the batch ledger
// and the version guard make a second application a no-op).
import { UnreachableError, coerceError, isConnectionError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Database } from './client.js';
import { systemClock } from '../clock.js';

export interface OutageOptions {
  /** Give up, with an UnreachableError, once PostgreSQL has been away this long. */
  giveUpMs: number;
  logger: Logger;
}

const FIRST_DELAY_MS = 250;
const MAX_DELAY_MS = 5_000;

/** Runs `work`, again after each connection error, until it succeeds or `db` has been away `giveUpMs`. */
export async function outlastOutage<T>(db: Pick<Database, 'where'>, options: OutageOptions, work: () => Promise<T>): Promise<T> {
  const started = systemClock().getTime();
  for (let delayMs = FIRST_DELAY_MS; ; delayMs = Math.min(delayMs * 2, MAX_DELAY_MS)) {
    try {
      return await work();
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      if (systemClock().getTime() - started + delayMs > options.giveUpMs) throw new UnreachableError('PostgreSQL', db.where, { cause: err });
      options.logger.warn({ err: coerceError(err), retryInMs: delayMs }, 'lost the connection to PostgreSQL; trying again');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
  }
}
