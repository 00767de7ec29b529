// Catalogue states for the gate's tests, built through the real ingest path: CSV track and
// release feeds of our own and the DDEX fixtures.
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { csvField, tempDir, TRACK_HEADER, writeFeed } from '../helpers/feeds.js';
import { ingest } from '../helpers/pipeline.js';

const RELEASE_HEADER = 'releaseId,title,version,artistId,artistAppearsAs,barcode,type,year,explicitContent,trackCount,duration,tags,licensorId,image,dateAdded,releaseDate,labelId,labelName,formats,price,rrp,url';

export interface CsvTrack {
  id: number;
  releaseId?: number;
  /** ISO; the provider's `streamingReleaseDate`. */
  streamingReleaseDate?: string;
}

export function csvTrack(t: CsvTrack, action: 'I' | 'U' | 'D' = 'I'): string {
  return [action, String(t.id), `Track ${t.id}`, '', 'Audio', `GBTST${String(t.id).padStart(7, '0')}`, 'false', '1', '1', '77', 'Test Artist',
    String(t.releaseId ?? 88), '200', '17', '0.99', '0.99', `https://example.test/t/${t.id}`, '0.5', t.streamingReleaseDate ?? '2026-01-01T00:00:00Z', '1'].map(csvField).join(',');
}

export function csvRelease(id: number, action: 'I' | 'U' | 'D' = 'I'): string {
  return [action, String(id), `Release ${id}`, '', '77', 'Test Artist', '5012345678900', 'Album', '2026', 'false', '1', '200', 'pop', '1', '', '2026-01-01T00:00:00Z',
    '2026-01-01T00:00:00Z', '9', 'Label', '17', '0.99', '0.99', `https://example.test/r/${id}`].map(csvField).join(',');
}

/** Applies one CSV updates feed of tracks (or releases) for a country and date (YYYYMMDD). */
export async function applyCsv(db: Database, config: Config, entity: 'track' | 'release', country: string, date: string, records: string[]): Promise<void> {
  const dir = tempDir('feedline-gate-');
  const file = writeFeed(dir, `${country}_${entity}_updates_${date}.csv.gz`, `action,${entity === 'track' ? TRACK_HEADER : RELEASE_HEADER}`, records);
  const outcome = await ingest(db, config, { input: file });
  if (outcome.status !== 'applied') throw new Error(`feed ${file} was ${outcome.status}`);
}
