// DDEX input: detected by content (.xml, .xml.gz, any name), batch folders only once their
// BatchComplete marker is there, the serve drop directory, and files rejected whole (malformed,
// DOCTYPE/XXE, entity expansion, unsupported version or type) with nothing applied.
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import { query, type Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { ingestDdexBatch } from '../../src/ingest/ddex-batch.js';
import { startDdexService } from '../../src/ingest/ddex-drop.js';
import { inlineSink } from '../../src/queue/sink.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { DDEX_FIXTURES, fixture, ingestDdex, territories } from '../helpers/ddex.js';
import { tempDir } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';

const NOW = new Date('2026-03-01T00:00:00Z');
let db: Database;
let config: Config;
let url: string;
const dir = tempDir('feedline-ddex-input-');

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  config = testConfig({ DATABASE_URL: url });
});
afterAll(async () => db.close());

async function catalogueRows(): Promise<number> {
  const [row] = await query<{ n: number }>(db.orm, sql`select ((select count(*) from releases) + (select count(*) from tracks))::integer as n`);
  return row!.n;
}

describe('DDEX input', () => {
  it('detects a gzip message with no telling name by its content', async () => {
    const file = path.join(dir, 'delivery-from-label');
    writeFileSync(file, gzipSync(readFileSync(fixture('ern382-takedown-flag.xml'))));
    const outcome = await ingestDdex(db, config, file, { now: NOW });
    expect(outcome.run).toMatchObject({ status: 'applied', entity: 'ddex', fileName: 'delivery-from-label' });
    expect(await territories(db, 'release', '5012345678801')).toEqual({ WW: 'takedown_flag' });
  });

  it.each([
    ['malformed.xml', 'malformed_xml'],
    ['xxe.xml', 'doctype_refused'],
    ['billion-laughs.xml', 'doctype_refused'],
    ['unsupported-version.xml', 'unsupported_schema_version'],
    ['unsupported-message-type.xml', 'unsupported_message_type'],
  ])('rejects %s whole with the line, column and reason (%s), applying nothing', async (name, reason) => {
    const before = await catalogueRows();
    const outcome = await ingestDdex(db, config, fixture(name), { now: NOW });
    expect(outcome.status).toBe('rejected');
    expect(outcome.run.status).toBe('rejected');
    expect(outcome.run.error).toContain(reason);
    const [entry] = await listQuarantine(db.orm, outcome.run.id);
    expect(entry).toMatchObject({ reason, line: expect.any(Number), column: expect.any(Number) });
    expect(entry!.line).toBeGreaterThan(0);
    expect(await catalogueRows()).toBe(before);
  });

  it('ingests a batch folder only once it is complete, each message once', async () => {
    const batch = path.join(dir, 'batch');
    cpSync(path.join(DDEX_FIXTURES, 'batch-001'), batch, { recursive: true });
    const marker = path.join(batch, 'BatchComplete_20260115100000000.xml');
    rmSync(marker);
    const ctx = { config, db, sink: inlineSink(db), logger: silentLogger, now: () => NOW };
    await expect(ingestDdexBatch(ctx, batch)).rejects.toThrow(/BatchComplete/);
    writeFileSync(marker, '');
    const first = await ingestDdexBatch(ctx, batch);
    expect(first.map((m) => [path.relative(batch, m.file), m.outcome.status])).toEqual([
      ['5012345678849/5012345678849.xml', 'applied'],
      ['5012345678856/5012345678856.xml', 'applied'],
    ]);
    expect(await territories(db, 'release', '5012345678849')).toMatchObject({ WW: 'live' });
    const again = await ingestDdexBatch(ctx, batch);
    expect(again.map((m) => m.outcome.status)).toEqual(['duplicate', 'duplicate']);
  });

  it('serve processes complete batches in the drop directory and applies due changes', async () => {
    const drop = path.join(dir, 'drop');
    mkdirSync(path.join(drop, 'incoming'), { recursive: true });
    copyFileSync(fixture('ern382-deal-future-end.xml'), path.join(drop, 'incoming', 'message.xml'));
    mkdirSync(path.join(drop, 'complete'));
    copyFileSync(fixture('ern382-consecutive-deals.xml'), path.join(drop, 'complete', 'a.xml'));
    writeFileSync(path.join(drop, 'complete', 'BatchComplete_1.xml'), '');
    let now = NOW;
    const service = startDdexService({ config: testConfig({ DATABASE_URL: url, FEEDLINE_DDEX_DROP_DIR: drop }), db, logger: silentLogger, now: () => now, pollMs: 3_600_000 });
    try {
      await service.tick();
      expect(await territories(db, 'release', '5012345678818')).toEqual({ WW: 'territory_not_licensed', GB: 'live' });
      expect(await territories(db, 'release', '5012345678931')).toEqual({});
      writeFileSync(path.join(drop, 'incoming', 'BatchComplete_2.xml'), '');
      await service.tick();
      expect(await territories(db, 'release', '5012345678931')).toEqual({ WW: 'live' });
      now = new Date('2099-07-01T00:00:00Z');
      const tick = await service.tick();
      expect(tick?.batches).toEqual([]);
      // The 2099 end and the 2032 end of the other batch, each for a release and its track.
      expect(tick?.due).toMatchObject({ applied: 4, takenDown: 4 });
      expect(await territories(db, 'release', '5012345678931')).toEqual({ WW: 'deal_expired' });
      expect(await territories(db, 'release', '5012345678818')).toEqual({ WW: 'territory_not_licensed', GB: 'deal_expired' });
    } finally {
      await service.stop();
    }
  });
});
