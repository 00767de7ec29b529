import { describe, expect, it } from 'vitest';
import { identifyFeed } from '../../src/ingest/feed-name.js';
import { UsageError } from '../../src/errors.js';

describe('identifyFeed', () => {
  it('reads everything from the conventional name', () => {
    expect(identifyFeed('/feeds/GB_track_updates_20261120.csv.gz', {})).toEqual({ country: 'GB', entity: 'track', kind: 'updates', date: '2026-11-20' });
  });
  it('lets flags override the name', () => {
    expect(identifyFeed('GB_track_updates_20261120.csv.gz', { country: 'US' }).country).toBe('US');
  });
  it('takes entity and kind from the words of any other name, country and date from flags', () => {
    expect(identifyFeed('track-updates-1000.csv.gz', { country: 'GB', date: '2026-11-20' })).toEqual({ entity: 'track', kind: 'updates', country: 'GB', date: '2026-11-20' });
  });
  it('names every flag it still needs, and rejects impossible dates', () => {
    expect(() => identifyFeed('feed.csv.gz', {})).toThrow(/entity, kind, country, date .* pass --entity --kind --country --date/);
    expect(() => identifyFeed('GB_track_updates_20261131.csv.gz', {})).toThrow(UsageError);
  });
});
