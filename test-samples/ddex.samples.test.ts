// The public DDEX samples in ../shared/samples/ddex (run by `npm run check:samples`, not by
// `npm test`: a user's clone has no ../shared beside it). Read in place, never copied.
import { createReadStream } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { availability, trackDeals, WORLDWIDE } from '../src/apply/availability.js';
import { readDdexMessage } from '../src/parse/ddex/index.js';
import type { DdexParsedItem, DdexRelease } from '../src/parse/ddex/index.js';

const SAMPLES = path.resolve(import.meta.dirname, '../../shared/samples/ddex');

async function read(name: string): Promise<DdexParsedItem[]> {
  const events: DdexParsedItem[] = [];
  for await (const event of readDdexMessage(createReadStream(path.join(SAMPLES, name)), name)) events.push(event);
  return events;
}

function releases(events: DdexParsedItem[]): DdexRelease[] {
  return events.flatMap((e) => (e.type === 'release' ? [e.release] : []));
}

function states(deals: DdexRelease['deals'], now: Date): Record<string, string> {
  const result = availability(deals, now);
  return Object.fromEntries([...result.territories].map(([territory, state]) => [territory, state.status === 'live' ? 'live' : state.reason]));
}

describe('public DDEX ERN 3.8.2 samples', () => {
  it('01_delivery: header, release keyed by GRid, its track and a Worldwide streaming deal', async () => {
    const events = await read('01_delivery.xml');
    expect(events[0]).toEqual({
      type: 'header',
      header: { messageType: 'NewReleaseMessage', schemaVersion: '3.8.2', senderPartyId: 'PADPIDA1234567890', messageId: 'MessageID5678', messageThreadId: 'UniqueThreadID1234', recipientPartyId: expect.any(String), createdAt: new Date('2024-04-01T05:00:00Z') },
    });
    const [release] = releases(events);
    expect(release).toMatchObject({
      ids: { grid: 'A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0' },
      title: 'Example Album',
      displayArtist: 'DJ Theo',
      label: 'Iron Crown Music',
      explicit: false,
      releaseDate: '2010-01-01',
    });
    expect(release!.tracks).toEqual([{ isrc: 'USRC12345678', title: 'Example Song', displayArtist: 'DJ Theo', durationSeconds: 225, explicit: false, trackReleaseDeals: [] }]);
    expect(states(release!.deals, new Date('2024-04-01T05:00:00Z'))).toEqual({ [WORLDWIDE]: 'live' });
  });

  it('02_update: a newer message with the updated track title', async () => {
    const events = await read('02_update.xml');
    expect(events[0]).toMatchObject({ type: 'header', header: { createdAt: new Date('2024-04-01T06:00:00Z') } });
    expect(releases(events)[0]?.tracks[0]?.title).toBe('Updated Example Song');
  });

  it('03_delete: a purge naming the release by GRid', async () => {
    const events = await read('03_delete.xml');
    expect(events).toEqual([
      expect.objectContaining({ type: 'header', header: expect.objectContaining({ messageType: 'PurgeReleaseMessage', createdAt: new Date('2024-04-02T07:00:00Z') }) }),
      { type: 'purge', purge: { ids: { grid: 'A1B2C3D4E5F6G7H8I9J0K1L2M3N4O5P6Q7R8S9T0', proprietaryIds: [] }, position: expect.any(Object) } },
    ]);
  });

  it('04_no_deal: the only deal ended on 2023-10-02, so the release is taken down', async () => {
    const [release] = releases(await read('04_no_deal.xml'));
    expect(release!.deals[0]?.validUntil).toEqual(new Date('2023-10-03T00:00:00Z'));
    expect(states(release!.deals, new Date('2024-04-05T09:00:00Z'))).toEqual({ [WORLDWIDE]: 'deal_expired' });
  });
});

describe('public DDEX ERN 4.3 mixed-media sample', () => {
  it('reads the bundle keyed by ICPN, its 14 sound recordings (not the videos) and the label from the PartyList', async () => {
    const events = await read('ern43-mixed-media.xml');
    expect(events.filter((e) => e.type === 'problem')).toEqual([]);
    const [release] = releases(events);
    expect(releases(events)).toHaveLength(1);
    expect(release).toMatchObject({ ids: { icpn: '05099907138655' }, title: 'Einfach Anna!', displayArtist: 'Anna-Maria Zimmermann', label: 'EMI', explicit: false });
    expect(release!.tracks).toHaveLength(14);
    expect(release!.tracks[1]).toMatchObject({ isrc: 'DEC611000431', title: 'Frei sein', version: 'Radio Edit', durationSeconds: 209 });
  });

  it('licenses the bundle for download only, and its tracks streaming only on the channels its TrackRelease deals name (iTunes UMG, Universal UMG), not to this recipient (Sony DADC)', async () => {
    const [release] = releases(await read('ern43-mixed-media.xml'));
    const now = new Date('2014-09-24T14:00:00Z');
    expect(states(release!.deals, now)).toEqual({ [WORLDWIDE]: 'territory_not_licensed', AT: 'no_streaming_use', CH: 'no_streaming_use', DE: 'no_streaming_use' });
    const ohneDich = release!.tracks.find((t) => t.isrc === 'DEC611000904')!;
    expect(states(trackDeals(release!, ohneDich), now)).toEqual({ [WORLDWIDE]: 'territory_not_licensed', AT: 'other_distribution_channel', CH: 'other_distribution_channel', DE: 'other_distribution_channel' });
    const withoutTrackDeal = release!.tracks.find((t) => t.isrc === 'ATW590800730')!;
    expect(withoutTrackDeal.trackReleaseDeals).toEqual([]);
    expect(states(trackDeals(release!, withoutTrackDeal), now)).toEqual({ [WORLDWIDE]: 'territory_not_licensed', AT: 'no_streaming_use', CH: 'no_streaming_use', DE: 'no_streaming_use' });
  });

  it('reads deals that end on 2013-07-09 and start on 2013-07-10 as windows that meet', async () => {
    const [release] = releases(await read('ern43-mixed-media.xml'));
    const deals = release!.tracks.find((t) => t.isrc === 'DEC611000904')!.trackReleaseDeals;
    const ends = deals.flatMap((d) => (d.validUntil ? [d.validUntil.getTime()] : []));
    const starts = deals.flatMap((d) => (d.validFrom ? [d.validFrom.getTime()] : []));
    expect(ends).toContain(Date.parse('2013-07-10T00:00:00Z'));
    expect(starts).toContain(Date.parse('2013-07-10T00:00:00Z'));
  });
});
