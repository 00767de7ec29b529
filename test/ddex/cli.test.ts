// The DDEX path through the feedline executable, as an operator uses it: ingest a message,
// a gzip one and a batch folder; get a release by GRid or ICPN and a track by ISRC with their
// status per territory, title and takedown reason; exit codes; ddex-due.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../helpers/db.js';
import { feedline } from '../helpers/cli.js';
import { DDEX_FIXTURES, fixture, SENDER } from '../helpers/ddex.js';
import { tempDir } from '../helpers/feeds.js';

let env: Record<string, string>;
const GRID = 'A10302B0001234567Q';

beforeAll(async () => {
  env = { DATABASE_URL: await freshDatabase(import.meta.filename), FEEDLINE_HOME: tempDir('feedline-ddex-cli-') };
});

async function get(entity: string, id: string, country: string) {
  const result = await feedline(['get', entity, id, '--source', SENDER, '--country', country, '--json'], env);
  return { code: result.code, item: result.code === 0 ? JSON.parse(result.stdout) : undefined, stderr: result.stderr };
}

describe('feedline with DDEX messages', () => {
  it('ingests a delivery and shows the release by GRid or ICPN, and its track, live worldwide', async () => {
    const ingested = await feedline(['ingest', fixture('ern382-delivery.xml'), '--json'], env);
    expect(ingested.code).toBe(0);
    expect(JSON.parse(ingested.stdout)).toMatchObject({ status: 'applied', entity: 'ddex', kind: 'ddex', country: 'WW', feedDate: '2026-01-10', inserted: 3 });
    const byGrid = await get('release', GRID, 'GB');
    expect(byGrid.item).toMatchObject({ entity: 'release', id: GRID, country: 'WW', status: 'live', title: 'Harbour Lights', displayTitle: 'Harbour Lights (Deluxe Edition) (Explicit)', takedownReason: null, territories: [{ country: 'WW', status: 'live', reason: null }] });
    expect((await get('release', '5012345678900', 'US')).item).toMatchObject({ id: GRID, status: 'live' });
    expect((await get('release', '5 012345 678900', 'US')).item).toMatchObject({ id: GRID });
    expect((await get('track', 'GBNWR2600001', 'DE')).item).toMatchObject({ status: 'live', displayTitle: 'Low Tide (Album Version) (Explicit)' });
  });

  it('shows a territorial takedown per country, with its reason', async () => {
    const file = path.join(tempDir(), 'territories.xml.gz');
    writeFileSync(file, gzipSync(readFileSync(fixture('ern382-territories.xml'))));
    expect((await feedline(['ingest', file], env)).code).toBe(0);
    expect((await get('release', '5012345678955', 'GB')).item).toMatchObject({ status: 'live', country: 'WW' });
    expect((await get('release', '5012345678955', 'US')).item).toMatchObject({ status: 'taken_down', country: 'US', takedownReason: 'territory_not_licensed', takenDownAt: expect.any(String) });
    expect((await get('track', 'GBNWR2600602', 'CA')).item).toMatchObject({ status: 'taken_down', takedownReason: 'territory_not_licensed' });
    const text = await feedline(['get', 'release', '5012345678955', '--source', SENDER, '--country', 'US'], env);
    expect(text.stdout).toContain('territories:   WW live, CA taken_down (territory_not_licensed), US taken_down (territory_not_licensed)');
  });

  it('takes the release down on a purge, shown with the reason', async () => {
    expect((await feedline(['ingest', fixture('ern382-purge.xml')], env)).code).toBe(0);
    expect((await get('release', GRID, 'GB')).item).toMatchObject({ status: 'taken_down', takedownReason: 'purged', title: 'Harbour Lights' });
    expect((await get('track', 'GBNWR2600002', 'GB')).item).toMatchObject({ status: 'taken_down', takedownReason: 'purged' });
  });

  it('exits 3 for malformed XML and 4 for an unknown item', async () => {
    const rejected = await feedline(['ingest', fixture('malformed.xml'), '--json'], env);
    expect(rejected.code).toBe(3);
    expect(JSON.parse(rejected.stdout)).toMatchObject({ status: 'rejected', error: expect.stringContaining('malformed_xml at line') });
    expect((await get('release', '5012345678870', 'GB')).code).toBe(4);
  });

  it('ingests a batch folder and applies a scheduled end with ddex-due', async () => {
    // A copy: the batch's acknowledgements are written into it.
    const dir = path.join(tempDir('feedline-ddex-batch-'), 'batch-001');
    cpSync(path.join(DDEX_FIXTURES, 'batch-001'), dir, { recursive: true });
    const batch = await feedline(['ingest', dir, '--json'], env);
    expect(batch.code).toBe(0);
    expect(JSON.parse(batch.stdout).messages.map((m: { status: string; ack: string | null }) => [m.status, m.ack && path.basename(m.ack)])).toEqual([
      ['applied', 'ACK_5012345678849.xml'], ['applied', 'ACK_5012345678856.xml'],
    ]);
    expect((await feedline(['ingest', fixture('ern382-deal-future-end.xml')], env)).code).toBe(0);
    expect((await get('release', '5012345678931', 'GB')).item?.scheduled).toEqual([expect.objectContaining({ country: 'WW', targetStatus: 'taken_down', reason: 'deal_expired' })]);
    const due = await feedline(['ddex-due', '--at', '2099-07-01T00:00:00Z', '--json'], env);
    expect(JSON.parse(due.stdout)).toMatchObject({ applied: 2, takenDown: 2 });
    expect((await get('release', '5012345678931', 'GB')).item).toMatchObject({ status: 'taken_down', takedownReason: 'deal_expired', scheduled: [] });
  });
});
