import { createReadStream, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readDdexMessage } from '../../src/parse/ddex/index.js';
import type { DdexParsedItem, DdexMessageHeader, DdexProblem, DdexPurgedRelease, DdexRelease } from '../../src/catalogue/ddex.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/ddex');

interface Read {
  events: DdexParsedItem[];
  header: DdexMessageHeader | undefined;
  releases: DdexRelease[];
  purges: DdexPurgedRelease[];
  problems: DdexProblem[];
}

async function read(input: AsyncIterable<Uint8Array | string>, file: string): Promise<Read> {
  const events: DdexParsedItem[] = [];
  for await (const event of readDdexMessage(input, file)) events.push(event);
  return {
    events,
    header: events.flatMap((e) => (e.type === 'header' ? [e.header] : []))[0],
    releases: events.flatMap((e) => (e.type === 'release' ? [e.release] : [])),
    purges: events.flatMap((e) => (e.type === 'purge' ? [e.purge] : [])),
    problems: events.flatMap((e) => (e.type === 'problem' ? [e.problem] : [])),
  };
}

function readFixture(name: string): Promise<Read> {
  return read(createReadStream(join(FIXTURES, name)), name);
}

function readText(xml: string, chunkSize = 64 * 1024): Promise<Read> {
  const bytes = Buffer.from(xml);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  return read(Readable.from(chunks), 'inline.xml');
}

function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

/** A minimal ERN 3.8.2 message around the given release and deal list. */
function ern382(releaseList: string, dealList: string, resources = ''): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<ern:NewReleaseMessage MessageSchemaVersionId="ern/382" xmlns:ern="http://ddex.net/xml/ern/382">
  <MessageHeader>
    <MessageId>M1</MessageId>
    <MessageSender><PartyId>PADPIDA2026010101X</PartyId></MessageSender>
    <MessageCreatedDateTime>2026-01-21T09:00:00</MessageCreatedDateTime>
  </MessageHeader>
  <ResourceList>${resources}</ResourceList>
  <ReleaseList>${releaseList}</ReleaseList>
  <DealList>${dealList}</DealList>
</ern:NewReleaseMessage>`;
}

const ONE_RELEASE = '<Release><ReleaseId><ICPN>5012345678979</ICPN></ReleaseId><ReleaseReference>R0</ReleaseReference></Release>';

function streamDeal(terms: string): string {
  return `<ReleaseDeal><DealReleaseReference>R0</DealReleaseReference><Deal><DealTerms>
    <Usage><UseType>OnDemandStream</UseType></Usage>${terms}</DealTerms></Deal></ReleaseDeal>`;
}

describe('readDdexMessage: ERN 3.8.2', () => {
  it('reads the header first: sender, message id, creation time, type and version', async () => {
    const { events, header } = await readFixture('ern382-delivery.xml');
    expect(events[0]?.type).toBe('header');
    expect(header).toEqual({
      messageType: 'NewReleaseMessage',
      schemaVersion: '3.8.2',
      senderPartyId: 'PADPIDA2026010101X',
      messageId: 'NWR-MSG-0002',
      messageThreadId: 'NWR-THREAD-0001',
      recipientPartyId: 'PADPIDA2026010102Y',
      createdAt: new Date('2026-01-10T09:00:00Z'),
    });
  });

  it('reads a release: normalised keys, Worldwide metadata over a territory variant, tracks and deals', async () => {
    const release = only((await readFixture('ern382-delivery.xml')).releases);
    expect(release.ids).toEqual({
      grid: 'A10302B0001234567Q',
      icpn: '5012345678900',
      proprietaryIds: [{ namespace: 'PADPIDA2026010101X', value: 'NWR-0001' }],
    });
    expect(release).toMatchObject({
      title: 'Harbour Lights',
      version: 'Deluxe Edition',
      displayArtist: 'The Lanterns',
      label: 'Northwind Records',
      explicit: true,
      releaseDate: '2026-01-16',
    });
    expect(release.position.line).toBe(62);
    expect(release.tracks.map(({ trackReleaseDeals, ...track }) => track)).toEqual([
      { isrc: 'GBNWR2600001', title: 'Low Tide', version: 'Album Version (Explicit)', displayArtist: 'The Lanterns', durationSeconds: 185, explicit: true },
      { isrc: 'GBNWR2600002', title: 'Café Nocturne', displayArtist: 'The Lanterns feat. Mira Solé', durationSeconds: 242, explicit: false },
    ]);
    expect(release.deals).toEqual([
      {
        useTypes: ['OnDemandStream', 'NonInteractiveStream'],
        commercialModelTypes: ['SubscriptionModel', 'AdvertisementSupportedModel'],
        territories: { kind: 'included', codes: ['Worldwide'] },
        validFrom: new Date('2026-01-16T00:00:00Z'),
        takeDown: false,
      },
      {
        useTypes: ['PermanentDownload'],
        commercialModelTypes: ['PayAsYouGoModel'],
        territories: { kind: 'included', codes: ['Worldwide'] },
        validFrom: new Date('2026-01-16T00:00:00Z'),
        takeDown: false,
      },
    ]);
  });

  it('gives a track the deals of its track-level release, which is not yielded as a release', async () => {
    const release = only((await readFixture('ern382-delivery.xml')).releases);
    expect(release.tracks[0]?.trackReleaseDeals).toEqual([expect.objectContaining({ useTypes: ['PermanentDownload'] })]);
    expect(release.tracks[1]?.trackReleaseDeals).toEqual([]);
  });

  it('carries the update and the replayed older message with their own creation times', async () => {
    const delivery = await readFixture('ern382-delivery.xml');
    const update = await readFixture('ern382-update.xml');
    const replay = await readFixture('ern382-replayed-older.xml');
    expect(update.header!.createdAt > delivery.header!.createdAt).toBe(true);
    expect(replay.header!.createdAt < delivery.header!.createdAt).toBe(true);
    expect(only(update.releases).tracks[1]).toMatchObject({ title: 'Café Nocturne', version: '2026 Mix' });
    expect(only(replay.releases).version).toBe('Advance Copy');
    expect(only(replay.releases).ids).toEqual(only(delivery.releases).ids);
  });

  it('reads a purge as the purged release identifiers', async () => {
    const { header, purges, releases } = await readFixture('ern382-purge.xml');
    expect(header?.messageType).toBe('PurgeReleaseMessage');
    expect(releases).toEqual([]);
    expect(only(purges)).toEqual({ ids: { icpn: '5012345678900', proprietaryIds: [] }, position: { line: 18, column: 18 } });
  });

  it('reads an empty DealList as a release with no deals', async () => {
    expect(only((await readFixture('ern382-no-deal.xml')).releases).deals).toEqual([]);
  });

  it('reads an EndDate as the first instant after that last day', async () => {
    const expired = only(only((await readFixture('ern382-deal-expired.xml')).releases).deals);
    expect(expired).toMatchObject({ validFrom: new Date('2024-01-01T00:00:00Z'), validUntil: new Date('2026-01-01T00:00:00Z') });
    const future = only(only((await readFixture('ern382-deal-future-end.xml')).releases).deals);
    expect(future.validUntil).toEqual(new Date('2099-07-01T00:00:00Z'));
  });

  it('reads the TakeDown flag', async () => {
    const deal = only(only((await readFixture('ern382-takedown-flag.xml')).releases).deals);
    expect(deal).toEqual({ useTypes: [], commercialModelTypes: [], territories: { kind: 'included', codes: ['Worldwide'] }, validFrom: new Date('2026-01-25T00:00:00Z'), takeDown: true });
  });

  it('reads included and excluded territory lists', async () => {
    const releases = (await readFixture('ern382-territories.xml')).releases;
    expect(releases.map((r) => r.deals.map((d) => d.territories))).toEqual([
      [{ kind: 'included', codes: ['GB', 'IE'] }, { kind: 'included', codes: ['Worldwide'] }],
      [{ kind: 'excluded', codes: ['US', 'CA'] }],
      [{ kind: 'included', codes: ['Worldwide'] }],
    ]);
  });

  it('reads deals that end and start on consecutive dates as windows that meet', async () => {
    const [first, second] = only((await readFixture('ern382-consecutive-deals.xml')).releases).deals;
    expect(first?.validUntil).toEqual(new Date('2030-07-01T00:00:00Z'));
    expect(second?.validFrom).toEqual(first?.validUntil);
  });

  it('quarantines a release without usable identifiers and a recording without ISRC, and still yields the rest', async () => {
    const { releases, problems } = await readFixture('ern382-missing-release-id.xml');
    expect(only(releases).ids.icpn).toBe('5012345678979');
    expect(only(releases).tracks.map((t) => t.isrc)).toEqual(['GBNWR2600701']);
    expect(problems).toEqual([
      { file: 'ern382-missing-release-id.xml', line: 25, column: 21, reason: 'invalid_track', detail: expect.stringContaining('A2 has no ISRC'), fatal: false },
      {
        file: 'ern382-missing-release-id.xml', line: 41, column: 14, reason: 'missing_release_id', fatal: false,
        detail: expect.stringMatching(/R1 .*ICPN "12345" is not 12 to 14 digits.*ProprietaryId "NWR-0700" has no Namespace/),
      },
    ]);
  });

  it('reads a release marked IsMainRelease as a main release, whatever its ReleaseType', async () => {
    const resources = '<SoundRecording><SoundRecordingId><ISRC>GBNWR2609902</ISRC></SoundRecordingId><ResourceReference>A1</ResourceReference></SoundRecording>';
    const release = `<Release IsMainRelease="true"><ReleaseId><ICPN>5012345678979</ICPN></ReleaseId><ReleaseReference>R0</ReleaseReference>
      <ReleaseResourceReferenceList><ReleaseResourceReference>A1</ReleaseResourceReference></ReleaseResourceReferenceList>
      <ReleaseType>TrackRelease</ReleaseType></Release>`;
    const { releases, problems } = await readText(ern382(release, streamDeal('<TerritoryCode>Worldwide</TerritoryCode>'), resources));
    expect(problems).toEqual([]);
    expect(only(releases).tracks.map((t) => t.isrc)).toEqual(['GBNWR2609902']);
  });
});

describe('readDdexMessage: ERN 4.3', () => {
  it('reads a release keyed by ICPN, with DisplayTitle, PartyList label and artists, and ResourceGroup tracks', async () => {
    const { header, releases } = await readFixture('ern43-delivery.xml');
    expect(header).toMatchObject({ schemaVersion: '4.3', messageType: 'NewReleaseMessage', createdAt: new Date('2026-02-01T09:30:00Z') });
    const release = only(releases);
    expect(release).toMatchObject({
      ids: { icpn: '5012345678986', proprietaryIds: [{ namespace: 'PADPIDA2026010101X', value: 'NWR-0900' }] },
      title: 'Night Ferry',
      displayArtist: 'The Lanterns',
      label: 'Northwind Records',
      explicit: true,
      releaseDate: '2026-02-06',
    });
    expect(release.version).toBeUndefined();
    expect(release.tracks.map(({ trackReleaseDeals, ...track }) => track)).toEqual([
      { isrc: 'GBNWR2600901', title: 'Night Ferry', version: 'Radio Edit', displayArtist: 'The Lanterns', durationSeconds: 200, explicit: true },
      { isrc: 'GBNWR2600902', title: 'Night Ferry Reprise', displayArtist: 'The Lanterns, Mira Solé', durationSeconds: 3723, explicit: false },
    ]);
  });

  it('reads ERN 4 deals: UseType in DealTerms, ExcludedTerritoryCode, StartDateTime, TrackRelease deals on the track', async () => {
    const release = only((await readFixture('ern43-delivery.xml')).releases);
    expect(release.deals[0]).toEqual({
      useTypes: ['OnDemandStream'], commercialModelTypes: ['SubscriptionModel'],
      territories: { kind: 'excluded', codes: ['US'] }, validFrom: new Date('2026-02-06T00:00:00Z'), takeDown: false,
    });
    expect(release.tracks[0]?.trackReleaseDeals).toEqual([expect.objectContaining({ territories: { kind: 'included', codes: ['US'] } })]);
    expect(release.tracks[1]?.trackReleaseDeals).toEqual([]);
  });

  it('reads date-time validity with its offset, and consecutive dates', async () => {
    const deals = only((await readFixture('ern43-consecutive-deals.xml')).releases).deals;
    expect(deals.map((d) => [d.validFrom?.toISOString(), d.validUntil?.toISOString()])).toEqual([
      ['2025-01-01T00:00:00.000Z', '2030-07-01T00:00:00.000Z'],
      ['2030-07-01T00:00:00.000Z', undefined],
      ['2029-12-31T23:00:00.000Z', '2031-01-01T00:00:00.000Z'],
    ]);
  });

  it('reads a purge in the default namespace', async () => {
    const { header, purges } = await readFixture('ern43-purge.xml');
    expect(header?.messageType).toBe('PurgeReleaseMessage');
    expect(only(purges).ids).toEqual({ icpn: '5012345678986', proprietaryIds: [{ namespace: 'PADPIDA2026010101X', value: 'NWR-0900' }] });
  });

  it('reports a track-level release of a recording that no main release contains', async () => {
    const xml = `<?xml version="1.0"?>
<ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/43">
  <MessageHeader><MessageId>M</MessageId><MessageSender><PartyId>P</PartyId></MessageSender>
    <MessageCreatedDateTime>2026-01-01T00:00:00Z</MessageCreatedDateTime></MessageHeader>
  <ResourceList><SoundRecording><ResourceReference>A1</ResourceReference>
    <ResourceId><ISRC>GBNWR2609901</ISRC></ResourceId></SoundRecording></ResourceList>
  <ReleaseList><TrackRelease><ReleaseReference>R1</ReleaseReference>
    <ReleaseResourceReference>A1</ReleaseResourceReference></TrackRelease></ReleaseList>
  <DealList/>
</ern:NewReleaseMessage>`;
    const { releases, problems } = await readText(xml);
    expect(releases).toEqual([]);
    expect(only(problems)).toMatchObject({ reason: 'orphan_track_release', line: 7, fatal: false });
  });
});

describe('readDdexMessage: streaming', () => {
  it('gives the same result whatever the chunk boundaries, even inside a UTF-8 character', async () => {
    const xml = readFileSync(join(FIXTURES, 'ern382-delivery.xml'), 'utf8');
    const whole = await readText(xml);
    const byThree = await readText(xml, 3);
    expect(byThree.events).toEqual(whole.events);
  });

  it('reads the public DDEX batch layout: one folder per release, completed by a BatchComplete marker', async () => {
    const batch = join(FIXTURES, 'batch-001');
    const entries = readdirSync(batch).sort();
    expect(entries.filter((name) => /^BatchComplete_\d+\.xml$/.test(name))).toHaveLength(1);
    const folders = entries.filter((name) => !name.startsWith('BatchComplete_'));
    const icpns: (string | undefined)[] = [];
    for (const folder of folders) {
      const message = join(batch, folder, `${folder}.xml`);
      expect(existsSync(message)).toBe(true);
      const { releases, problems } = await read(createReadStream(message), message);
      expect(problems).toEqual([]);
      icpns.push(only(releases).ids.icpn);
    }
    expect(icpns).toEqual(folders);
  });
});

describe('readDdexMessage: rejected files', () => {
  async function rejected(name: string): Promise<DdexProblem> {
    const { events, problems } = await readFixture(name);
    expect(events.some((e) => e.type === 'release' || e.type === 'purge')).toBe(false);
    const problem = only(problems);
    expect(problem.fatal).toBe(true);
    return problem;
  }

  it('rejects malformed XML with the file, line and column, and yields no release from it', async () => {
    expect(await rejected('malformed.xml')).toEqual({ file: 'malformed.xml', line: 31, column: 17, reason: 'malformed_xml', detail: 'Unexpected close tag', fatal: true });
  });

  it('refuses a DOCTYPE with an external entity (XXE) without resolving it', async () => {
    expect(await rejected('xxe.xml')).toMatchObject({ reason: 'doctype_refused', line: 6 });
  });

  it('refuses a billion-laughs DOCTYPE without expanding anything', async () => {
    expect(await rejected('billion-laughs.xml')).toMatchObject({ reason: 'doctype_refused', line: 15 });
  });

  // With the DOCTYPE refusal off, the entities reach sax itself: it must expand none of them,
  // so this would fail on a parser that resolves external or nested entities.
  it.each(['xxe.xml', 'billion-laughs.xml'])('expands no entity of %s even with the DOCTYPE refusal off', async (name) => {
    const events: DdexParsedItem[] = [];
    for await (const event of readDdexMessage(createReadStream(join(FIXTURES, name)), name, {}, { refuseDoctype: false })) events.push(event);
    expect(JSON.stringify(events)).not.toMatch(/root:|lol/);
    expect(events.filter((e) => e.type === 'release')).toEqual([]);
    expect(only(events.flatMap((e) => (e.type === 'problem' ? [e.problem] : [])))).toMatchObject({ reason: 'malformed_xml', fatal: true });
  });

  it('refuses an entity that is not one of the five XML ones', async () => {
    const { problems, releases } = await readText(ern382(ONE_RELEASE.replace('<ReleaseReference>', '<ReleaseReference>&nbsp;'), ''));
    expect(releases).toEqual([]);
    expect(only(problems)).toMatchObject({ reason: 'malformed_xml', fatal: true });
  });

  it('rejects unsupported versions and message types', async () => {
    expect(await rejected('unsupported-version.xml')).toMatchObject({ reason: 'unsupported_schema_version', line: 3 });
    expect(await rejected('unsupported-message-type.xml')).toMatchObject({ reason: 'unsupported_message_type', line: 3 });
  });

  it('rejects a file that is empty or truncated', async () => {
    expect(only((await readText('')).problems)).toMatchObject({ reason: 'malformed_xml', fatal: true });
    const xml = readFileSync(join(FIXTURES, 'ern382-delivery.xml'), 'utf8');
    const truncated = await readText(xml.slice(0, xml.indexOf('</DealList>')));
    expect(truncated.releases).toEqual([]);
    expect(only(truncated.problems)).toMatchObject({ reason: 'malformed_xml', fatal: true });
  });

  it('rejects bytes that are not UTF-8', async () => {
    const bytes = Buffer.concat([Buffer.from('<?xml version="1.0"?><ern:NewReleaseMessage xmlns:ern="http://ddex.net/xml/ern/382"><MessageId>'), Buffer.from([0xff, 0xfe])]);
    const { problems } = await read(Readable.from([bytes]), 'latin.xml');
    expect(only(problems)).toMatchObject({ reason: 'malformed_xml', detail: 'is not valid UTF-8', fatal: true });
  });

  it('rejects a header without sender, id or valid creation time', async () => {
    const xml = ern382(ONE_RELEASE, '').replace('<MessageCreatedDateTime>2026-01-21T09:00:00</MessageCreatedDateTime>', '<MessageCreatedDateTime>yesterday</MessageCreatedDateTime>');
    expect(only((await readText(xml)).problems)).toMatchObject({ reason: 'invalid_header', detail: 'MessageHeader lacks a valid MessageCreatedDateTime', fatal: true });
  });

  it('reads a creation time without a zone as UTC', async () => {
    expect((await readText(ern382(ONE_RELEASE, ''))).header?.createdAt).toEqual(new Date('2026-01-21T09:00:00Z'));
  });

  it('refuses a value longer than any real one', async () => {
    const xml = ern382(ONE_RELEASE.replace('R0</ReleaseReference>', `${'x'.repeat(70_000)}</ReleaseReference>`), '');
    expect(only((await readText(xml, 16 * 1024)).problems)).toMatchObject({ reason: 'limit_exceeded', fatal: true });
  });
});

describe('readDdexMessage: deals that cannot be evaluated', () => {
  it.each([
    ['an impossible date', streamDeal('<TerritoryCode>GB</TerritoryCode><ValidityPeriod><EndDate>2026-02-30</EndDate></ValidityPeriod>'), /EndDate "2026-02-30"/],
    ['both territory lists', streamDeal('<TerritoryCode>GB</TerritoryCode><ExcludedTerritoryCode>US</ExcludedTerritoryCode>'), /both TerritoryCode and ExcludedTerritoryCode/],
    ['no territory', streamDeal(''), /no territory/],
  ])('quarantines the release whose deal has %s', async (_name, deals, detail) => {
    const { releases, problems } = await readText(ern382(ONE_RELEASE, deals));
    expect(releases).toEqual([]);
    expect(only(problems)).toMatchObject({ reason: 'invalid_deal', fatal: false, detail: expect.stringMatching(detail) });
  });

  it('reads a deal with two validity periods as two deals with the same terms', async () => {
    const deals = only((await readText(ern382(ONE_RELEASE, streamDeal(`<TerritoryCode>gb</TerritoryCode>
      <ValidityPeriod><StartDate>2026-01-01</StartDate><EndDate>2026-01-31</EndDate></ValidityPeriod>
      <ValidityPeriod><StartDate>2026-03-01</StartDate></ValidityPeriod>`)))).releases).deals;
    expect(deals).toEqual([
      { useTypes: ['OnDemandStream'], commercialModelTypes: [], territories: { kind: 'included', codes: ['GB'] }, validFrom: new Date('2026-01-01T00:00:00Z'), validUntil: new Date('2026-02-01T00:00:00Z'), takeDown: false },
      { useTypes: ['OnDemandStream'], commercialModelTypes: [], territories: { kind: 'included', codes: ['GB'] }, validFrom: new Date('2026-03-01T00:00:00Z'), takeDown: false },
    ]);
  });
});
