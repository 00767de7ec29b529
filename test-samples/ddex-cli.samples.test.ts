// The public DDEX samples through the feedline executable, in order 01 to 04 (issue 5's
// done-when): delivery, update, purge, then a message whose only deal has expired. The
// release and its track end taken down worldwide. Read in place, never copied.
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../test/helpers/db.js';
import { feedline } from '../test/helpers/cli.js';
import { tempDir } from '../test/helpers/feeds.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../shared/samples/ddex');
const SENDER = 'PADPIDA1234567890';
const GRID = 'A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0';
const ISRC = 'USRC12345678';
let env: Record<string, string>;

beforeAll(async () => {
  env = { DATABASE_URL: await freshDatabase(import.meta.filename), FEEDLINE_HOME: tempDir('feedline-ddex-samples-') };
});

async function get(entity: 'release' | 'track', id: string, country: string) {
  const result = await feedline(['get', entity, id, '--source', SENDER, '--country', country, '--json'], env);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as { status: string; title: string; takedownReason: string | null; territories: { country: string; status: string }[] };
}

describe('public DDEX samples 01 to 04 through the CLI', () => {
  it('ends with the release and its track taken down worldwide', async () => {
    const steps: [string, string, string | null][] = [
      ['01_delivery.xml', 'live', null],
      ['02_update.xml', 'live', null],
      ['03_delete.xml', 'taken_down', 'purged'],
      ['04_no_deal.xml', 'taken_down', 'deal_expired'],
    ];
    for (const [name, status, reason] of steps) {
      const ingested = await feedline(['ingest', path.join(SAMPLES, name), '--json'], env);
      expect(ingested.code, ingested.stderr).toBe(0);
      expect(JSON.parse(ingested.stdout)).toMatchObject({ status: 'applied', entity: 'ddex' });
      const release = await get('release', GRID, 'GB');
      expect(release, name).toMatchObject({ status, takedownReason: reason, title: 'Example Album' });
    }
    for (const country of ['GB', 'US', 'JP']) {
      expect(await get('release', GRID, country)).toMatchObject({ status: 'taken_down', takedownReason: 'deal_expired' });
      expect(await get('track', ISRC, country)).toMatchObject({ status: 'taken_down', takedownReason: 'deal_expired', title: 'Updated Example Song' });
    }
    expect((await get('release', GRID, 'GB')).territories.every((t) => t.status === 'taken_down')).toBe(true);
  });
});
