// The public DDEX samples in ../shared/samples/ddex dropped as one batch into serve's drop
// directory (FEEDLINE_DDEX_DROP_DIR): each message gets its acknowledgement (issue 27) with
// the right status, and `feedline ddex acks` lists them. Run by `npm run check:samples`.
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config/schema.js';
import type { Database } from '../src/db/client.js';
import { listDdexAcks } from '../src/db/ddex-acks.js';
import { startDdexService } from '../src/ingest/ddex-drop.js';
import { ackSummary, readAck } from '../test/helpers/ddex-ack.js';
import { openDdexWorld } from '../test/helpers/ddex.js';
import { tempDir } from '../test/helpers/feeds.js';
import { silentLogger } from '../test/helpers/pipeline.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../shared/samples/ddex');
const US = 'PADPIDA2026010102Y';
let db: Database;
let config: Config;

beforeAll(async () => {
  ({ db, config } = await openDdexWorld(import.meta.filename));
});
afterAll(async () => db.close());

describe('the shared DDEX samples as a batch in the drop directory', () => {
  it('each message is acknowledged beside it with its status, the batch id and its MessageId', async () => {
    const drop = tempDir('feedline-drop-');
    const dir = path.join(drop, '20260301120000000');
    mkdirSync(dir);
    const messages = readdirSync(SAMPLES).filter((f) => f.endsWith('.xml')).sort();
    for (const name of messages) copyFileSync(path.join(SAMPLES, name), path.join(dir, name));
    writeFileSync(path.join(dir, 'BatchComplete_20260301120000000.xml'), '');
    const service = startDdexService({ config: { ...config, ddexDropDir: drop, ddexRecipientPartyId: US }, db, logger: silentLogger, now: () => new Date('2024-04-05T09:00:00Z'), pollMs: 3_600_000 });
    try {
      let tick = await service.tick();
      if (!tick?.batches.length) tick = await service.tick();
      expect(tick?.batches.map((b) => b.dir)).toEqual([dir]);
    } finally {
      await service.stop();
    }
    const acks = Object.fromEntries(messages.map((name) => [name, ackSummary(readAck(path.join(dir, `ACK_${name.replace(/\.xml$/, '')}.xml`)))]));
    const statusOf = (name: string) => [acks[name]!.statuses[0]![0], acks[name]!.statuses[0]![1].split(':')[0]];
    expect(Object.fromEntries(messages.map((name) => [name, statusOf(name)]))).toEqual({
      '01_delivery.xml': ['FileOK', 'applied'],
      '02_update.xml': ['FileOK', 'applied'],
      '03_delete.xml': ['FileOK', 'applied'],
      '04_no_deal.xml': ['FileOK', 'applied'],
      'ern43-mixed-media.xml': ['FileOK', 'applied'],
    });
    expect(acks['01_delivery.xml']).toMatchObject({ messageId: 'MessageID5678', threadId: 'UniqueThreadID1234', batchId: '20260301120000000', sender: US, recipient: 'PADPIDA1234567890' });
    expect(acks['03_delete.xml']!.statuses[0]![1]).toMatch(/[1-9]\d* taken down, 0 scheduled, 1 purge\(s\)/);
    // Its release was purged by 03 already: the expired deal updates a release that is down.
    expect(acks['04_no_deal.xml']!.statuses[0]![1]).toMatch(/^applied: 1 release\(s\), 0 released, [1-9]\d* updated/);
    expect((await listDdexAcks(db.orm, { batchDir: dir })).map((a) => [a.messageFile, a.outcome, a.writtenAt !== null]).sort()).toEqual(messages.map((m) => [m, 'applied', true]));
  });
});
