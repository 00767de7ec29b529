// Runs the real pipeline in the test process against a test file's database.
import { loadConfig } from '../../src/config/load.js';
import type { Config, EnvName } from '../../src/config/schema.js';
import { getItem, type CatalogueItem } from '../../src/db/catalogue.js';
import type { Database } from '../../src/db/client.js';
import { ingestFeed, waitForRun } from '../../src/ingest/ingest.js';
import type { IngestRequest } from '../../src/ingest/lifecycle.js';
import { createLogger } from '../../src/log.js';
import { inlineSink, type BatchSink } from '../../src/queue/sink.js';
import type { Entity } from '../../src/config/schema.js';
import { tempDir } from './feeds.js';

export const silentLogger = createLogger({ level: 'silent', destination: { write() {} } });

export function testConfig(overrides: Partial<Record<EnvName, string>> = {}): Config {
  return loadConfig({}, { FEEDLINE_HOME: tempDir('feedline-home-'), LOG_LEVEL: 'silent', ...overrides });
}

/**
 * Ingests a file and waits for it: in-process unless a sink is given. A queued run reports
 * the status it ended with (applied, failed or rejected), never a success it did not have.
 */
export async function ingest(db: Database, config: Config, request: Omit<IngestRequest, 'feed'> & { feed?: IngestRequest['feed'] }, sink: BatchSink = inlineSink(db)) {
  const ctx = { config, db, sink, logger: silentLogger };
  const outcome = await ingestFeed(ctx, { feed: {}, ...request });
  if (outcome.status !== 'queued') return outcome;
  const run = await waitForRun(ctx, outcome.run.id, { pollMs: 50 });
  return { status: run.status, run };
}

export async function item(db: Database, entity: Entity, id: string, country = 'GB', source = '7digital'): Promise<CatalogueItem | undefined> {
  return getItem(db.orm, entity, source, id, country);
}
