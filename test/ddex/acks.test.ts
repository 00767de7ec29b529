// Acknowledgements of DDEX batch messages (issue 27) on real PostgreSQL: each outcome gets
// its ACK_*.xml with the right status beside the message; a batch processed twice writes
// nothing new; a later different outcome gets its own file; a hostile message yields a
// safe, bounded file; FEEDLINE_DDEX_ACK_DIR moves them out of the batch.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { listDdexAcks } from '../../src/db/ddex-acks.js';
import { addQuarantine } from '../../src/db/runs.js';
import { acknowledgeMessage } from '../../src/ingest/ddex-ack.js';
import { ingestDdexBatch } from '../../src/ingest/ddex-batch.js';
import { inlineSink } from '../../src/queue/sink.js';
import { ackSummary, readAck } from '../helpers/ddex-ack.js';
import { fixture, openDdexWorld, SENDER } from '../helpers/ddex.js';
import { tempDir } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';

const NOW = new Date('2026-02-01T00:00:00Z');
const US = 'PADPIDA2026010102Y';
const BATCH_ID = '20260201120000000';
let db: Database;
let config: Config;

beforeAll(async () => {
  ({ db, config } = await openDdexWorld(import.meta.filename));
  config = { ...config, ddexRecipientPartyId: US };
});
afterAll(async () => db.close());

function batch(files: Record<string, string>, id = BATCH_ID): string {
  const dir = path.join(tempDir('feedline-ack-'), id);
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) copyFileSync(source, path.join(dir, name));
  writeFileSync(path.join(dir, `BatchComplete_${id}.xml`), '');
  return dir;
}

const run = (dir: string, cfg = config) => ingestDdexBatch({ config: cfg, db, sink: inlineSink(db), logger: silentLogger, now: () => NOW }, dir);
const ack = (dir: string, stem: string) => ackSummary(readAck(path.join(dir, `ACK_${stem}.xml`)));
const listing = (dir: string) => readdirSync(dir).sort();

describe('acknowledging every message of a DDEX batch', () => {
  let dir: string;

  beforeAll(async () => {
    dir = batch({
      'delivery.xml': fixture('ern382-delivery.xml'),
      'update.xml': fixture('ern382-update.xml'),
      'purge.xml': fixture('ern382-purge.xml'),
      'expired.xml': fixture('ern382-deal-expired.xml'),
      'future-end.xml': fixture('ern382-deal-future-end.xml'),
      'missing-id.xml': fixture('ern382-missing-release-id.xml'),
      'malformed-icpn.xml': fixture('ern382-malformed-icpn.xml'),
      'malformed.xml': fixture('malformed.xml'),
    });
    const results = await run(dir);
    expect(results.map((r) => [path.basename(r.file), r.ack?.outcome, r.ack?.fresh])).toEqual([
      ['delivery.xml', 'applied', true],
      ['update.xml', 'applied', true],
      ['purge.xml', 'applied', true],
      ['expired.xml', 'applied', true],
      ['future-end.xml', 'applied', true],
      ['malformed.xml', 'rejected', true],
      ['missing-id.xml', 'quarantined', true],
      ['malformed-icpn.xml', 'applied_with_warnings', true],
    ]);
  });

  it('an applied delivery: FileOK with what was released, the message ids, the batch, us as sender and the label as recipient', () => {
    expect(ack(dir, 'delivery')).toEqual({
      threadId: 'NWR-THREAD-0001', sender: US, recipient: SENDER, releaseStatus: 'SuccessfullyIngestedByReleaseDistributor', errorText: undefined,
      messageType: 'NewReleaseMessage', batchId: BATCH_ID, messageId: 'NWR-MSG-0002',
      statuses: [['FileOK', expect.stringMatching(/^applied: 1 release\(s\), 3 released, 0 updated, 0 taken down, 0 scheduled, 0 purge\(s\)/)]],
    });
    expect(ack(dir, 'update').statuses[0]![1]).toMatch(/^applied: 1 release\(s\), 0 released, 3 updated, 0 taken down/);
  });

  it('a purge and a takedown by deal end: applied, with what was taken down; a deal ending later: scheduled', () => {
    expect(ack(dir, 'purge').statuses).toEqual([['FileOK', expect.stringMatching(/^applied: 0 release\(s\), 0 released, 0 updated, 3 taken down, 0 scheduled, 1 purge\(s\)/)]]);
    expect(ack(dir, 'purge').messageType).toBe('PurgeReleaseMessage');
    expect(ack(dir, 'expired').statuses[0]![1]).toMatch(/[1-9]\d* taken down/);
    expect(ack(dir, 'future-end').statuses[0]![1]).toMatch(/[1-9]\d* scheduled/);
  });

  it('applied with a warning: FileOK, and the warning with its line and reason', () => {
    const { statuses, releaseStatus } = ack(dir, 'malformed-icpn');
    expect(releaseStatus).toBe('SuccessfullyIngestedByReleaseDistributor');
    expect(statuses[0]).toEqual(['FileOK', expect.stringMatching(/^applied_with_warnings: /)]);
    expect(statuses.slice(1)).toEqual([['FileOK', expect.stringMatching(/^warning invalid_identifier at line \d+, column \d+: /)]]);
  });

  it('quarantined: each problem in the standard file status with its XML position and reason, ErrorText and a manual check', () => {
    const summary = ack(dir, 'missing-id');
    expect(summary.releaseStatus).toBe('ProcessingErrorAtReleaseDistributor');
    expect(summary.errorText).toMatch(/quarantined/);
    // The overall status is the first problem's.
    expect(summary.statuses[0]).toEqual([summary.statuses[1]![0], expect.stringMatching(/^quarantined: .*[1-9] quarantined/)]);
    expect(summary.statuses.slice(1)).toEqual(expect.arrayContaining([
      ['MetadataMissing', expect.stringMatching(/^quarantined missing_release_id at line \d+, column \d+: /)],
      ['IdentifierSyntaxInvalid', expect.stringMatching(/^quarantined invalid_track at line \d+/)],
    ]));
  });

  it('rejected whole: why, nothing applied', () => {
    const summary = ack(dir, 'malformed');
    expect(summary.releaseStatus).toBe('ProcessingErrorAtReleaseDistributor');
    expect(summary.errorText).toMatch(/^rejected whole, nothing applied: /);
    expect(summary.statuses[0]![0]).toBe('NewReleaseMessageInvalid');
    expect(summary.statuses[1]).toEqual(['NewReleaseMessageInvalid', expect.stringMatching(/^quarantined malformed_xml at line \d+/)]);
  });

  it('processing the batch again writes nothing new', async () => {
    const before = listing(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs, readFileSync(path.join(dir, f), 'utf8')]);
    const results = await run(dir);
    // A rejected file is tried again (a new run of the same content): same outcome, no new acknowledgement.
    expect(results.map((r) => r.outcome.status)).toEqual([...Array(5).fill('duplicate'), 'rejected', 'duplicate', 'duplicate']);
    expect(results.every((r) => r.ack?.fresh === false)).toBe(true);
    expect(listing(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs, readFileSync(path.join(dir, f), 'utf8')])).toEqual(before);
    expect(listing(dir).filter((f) => f.startsWith('ACK_'))).toHaveLength(8);
    expect(listing(dir).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('a quarantined message re-delivered fixed and now applied gets its own acknowledgement; the first stays', async () => {
    const first = readFileSync(path.join(dir, 'ACK_missing-id.xml'), 'utf8');
    // The same file name, new content: only the good release.
    const text = readFileSync(fixture('ern382-missing-release-id.xml'), 'utf8');
    const fixed = text.replace(/<MessageCreatedDateTime>[^<]*</, '<MessageCreatedDateTime>2026-01-25T09:00:00Z<');
    writeFileSync(path.join(dir, 'missing-id.xml'), fixed.replace('NWR-MSG-0701', 'NWR-MSG-0702'));
    const results = await run(dir);
    const again = results.find((r) => r.file.endsWith('missing-id.xml'))!;
    expect(again.ack).toMatchObject({ fresh: true });
    expect(path.basename(again.ack!.ackPath)).toBe('ACK_missing-id_2.xml');
    expect(readFileSync(path.join(dir, 'ACK_missing-id.xml'), 'utf8')).toBe(first);
    expect(ack(dir, 'missing-id_2').messageId).toBe('NWR-MSG-0702');
    expect(results.filter((r) => r.ack?.fresh).length).toBe(1);
  });

  it('lists what was acknowledged, when, with which status', async () => {
    const acks = await listDdexAcks(db.orm, { batchDir: dir });
    expect(acks).toHaveLength(9);
    expect(acks.every((a) => a.writtenAt instanceof Date && a.batchId === BATCH_ID && a.source === SENDER)).toBe(true);
    expect(acks.map((a) => a.outcome).sort()).toEqual(['applied', 'applied', 'applied', 'applied', 'applied', 'applied_with_warnings', 'quarantined', 'quarantined', 'rejected'].sort());
  });
});

describe('a hostile message', () => {
  it('a MessageId with markup and a 10 MB problem text: escaped, cut, bounded, well-formed', async () => {
    const text = readFileSync(fixture('ern382-deal-end-before-start.xml'), 'utf8')
      .replace(/<MessageId>[^<]*<\/MessageId>/, '<MessageId>&lt;/MessageId&gt;&lt;Injected&gt;x&lt;/Injected&gt;&amp;"\'</MessageId>');
    const source = path.join(tempDir('feedline-hostile-'), 'hostile.xml');
    writeFileSync(source, text);
    const dir = batch({ 'hostile.xml': source }, 'HOSTILE');
    const [result] = await run(dir);
    // A problem on record whose text is 10 MB of the sender's markup and control characters.
    await addQuarantine(db.orm, result!.outcome.run.id, [{ line: 2, column: 1, raw: `</Information>\u0001<Evil>${'&<x>'.repeat(2_621_440)}`, reason: 'invalid_deal' }]);
    // Acknowledged as another message of the batch: the run's own acknowledgement is already written.
    const target = { batchDir: path.resolve(dir), batchId: 'HOSTILE', messageFile: 'hostile-again.xml' };
    const second = await acknowledgeMessage({ config, db }, target, { ...result!.outcome.run, quarantined: 1 });
    expect(second).toMatchObject({ outcome: 'quarantined', fresh: true });
    for (const file of [result!.ack!.ackPath, second!.ackPath]) {
      expect(statSync(file).size).toBeLessThan(32 * 1024);
      const xml = readFileSync(file, 'utf8');
      expect(xml).not.toMatch(/<Injected>|<Evil>|\u0001/);
      const summary = ackSummary(readAck(file));
      expect(summary.messageId).toBe('</MessageId><Injected>x</Injected>&"\'');
    }
    const information = ackSummary(readAck(second!.ackPath)).statuses.map((s) => s[1]).join('\n');
    expect(information).toContain('</Information><Evil>&<x>');
    expect(information).toMatch(/… \(cut\)/);
  });
});

describe('FEEDLINE_DDEX_ACK_DIR', () => {
  it('writes the acknowledgements under it, one folder per BatchId, mirroring the batch, and none in the batch', async () => {
    const acks = tempDir('feedline-acks-');
    const dir = path.join(tempDir('feedline-ack-'), 'delivery-folder');
    mkdirSync(path.join(dir, 'release-1'), { recursive: true });
    copyFileSync(fixture('ern43-delivery.xml'), path.join(dir, 'release-1', 'ern43.xml'));
    writeFileSync(path.join(dir, 'BatchComplete_B42.xml'), '');
    const cfg = { ...testConfig({ DATABASE_URL: config.databaseUrl, FEEDLINE_DDEX_ACK_DIR: acks }), ddexRecipientPartyId: US };
    const [result] = await run(dir, cfg);
    expect(result!.ack!.ackPath).toBe(path.join(acks, 'B42', 'release-1', 'ACK_ern43.xml'));
    expect(ackSummary(readAck(result!.ack!.ackPath))).toMatchObject({ batchId: 'B42', statuses: [['FileOK', expect.stringMatching(/^applied: /)]] });
    expect(existsSync(path.join(dir, 'release-1', 'ACK_ern43.xml'))).toBe(false);
  });
});
