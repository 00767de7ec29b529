// The DDEX side of `feedline serve` (scheduler role): poll the drop directory
// (FEEDLINE_DDEX_DROP_DIR) for complete batches, and apply scheduled deal changes that have
// come due. Both are cheap and idempotent: a batch's messages are recognised by content hash,
// and a due change applies only while its item still carries the version that scheduled it.
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { applyDueScheduledChanges } from '../db/ddex.js';
import { startPeriodic } from '../periodic.js';
import type { Logger } from '../log.js';
import type { RedisConnection } from '../queue/redis.js';
import { inlineSink } from '../queue/sink.js';
import { runTimers } from '../sla/timers.js';
import { batchMarker, ingestDdexBatch, type BatchMessage } from './ddex-batch.js';
import { runOutage, type IngestContext } from './lifecycle.js';

/**
 * How often the drop directory is looked at and due changes applied. A deal's end is due at
 * a day boundary and the licence window is 24 hours, so half a minute late is nothing; a
 * sender's batch is picked up well within a minute of its marker.
 */
export const DDEX_POLL_MS = 30_000;

export interface DdexServiceDeps {
  config: Config;
  db: Database;
  logger: Logger;
  /** With Redis, each message's run gets its SLA timers, as a fetched feed's does. */
  redis?: RedisConnection;
  /** Tests inject a clock for due changes; default: the database's. */
  now?: () => Date;
  pollMs?: number;
}

export interface DdexTick {
  batches: { dir: string; messages: BatchMessage[] }[];
  due: { applied: number; takenDown: number; superseded: number };
}

/** Complete batches in the drop directory: itself, or any folder directly in it, with a marker. */
export async function completeBatches(dropDir: string): Promise<{ dir: string; marker: string }[]> {
  const found: { dir: string; marker: string }[] = [];
  const own = await batchMarker(dropDir);
  if (own) found.push({ dir: dropDir, marker: own });
  for (const entry of await readdir(dropDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const dir = path.join(dropDir, entry.name);
    const marker = await batchMarker(dir);
    if (marker) found.push({ dir, marker });
  }
  return found.sort((a, b) => a.dir.localeCompare(b.dir));
}

export function startDdexService(deps: DdexServiceDeps): { stop(graceMs?: number): Promise<void>; tick(): Promise<DdexTick | undefined> } {
  const log = deps.logger.child({ component: 'ddex' });
  const timers = deps.redis && deps.config.ddexDropDir ? runTimers(deps.redis, { prefix: deps.config.queuePrefix, sla: deps.config.sla }) : undefined;
  const ctx: IngestContext = { config: deps.config, db: deps.db, sink: inlineSink(deps.db, runOutage(deps)), timers, logger: deps.logger, now: deps.now };
  // Batches done in this process, by folder and marker time: a re-sent batch gets a new marker.
  const done = new Set<string>();
  const once = async (): Promise<DdexTick> => {
    const tick: DdexTick = { batches: [], due: await applyDueScheduledChanges(deps.db.orm, deps.now?.()) };
    if (tick.due.applied > 0 || tick.due.superseded > 0) log.info(tick.due, 'scheduled DDEX changes applied');
    const dropDir = deps.config.ddexDropDir;
    if (!dropDir) return tick;
    // One process at a time works through the drop directory; others skip this tick.
    await deps.db.tryWithLock('feedline-ddex-drop', async () => {
      for (const { dir, marker } of await completeBatches(dropDir)) {
        const key = `${dir}\0${(await stat(marker)).mtimeMs}`;
        if (done.has(key)) continue;
        const messages = await ingestDdexBatch(ctx, dir);
        done.add(key);
        tick.batches.push({ dir, messages });
        const count = (status: string) => messages.filter((m) => m.outcome.status === status).length;
        log.info({ batch: dir, messages: messages.length, applied: count('applied'), duplicate: count('duplicate'), rejected: count('rejected') }, 'DDEX batch processed');
      }
    });
    return tick;
  };
  const poll = startPeriodic({ name: 'DDEX poll', schedule: { everyMs: deps.pollMs ?? DDEX_POLL_MS }, run: once, logger: log });
  log.info({ dropDir: deps.config.ddexDropDir ?? null, pollMs: deps.pollMs ?? DDEX_POLL_MS }, 'DDEX drop directory and scheduled changes watched');
  return {
    tick: poll.tick,
    async stop() {
      await poll.stop();
      await timers?.close();
    },
  };
}
