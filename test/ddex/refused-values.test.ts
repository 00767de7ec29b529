// DDEX values PostgreSQL refuses though they read right (README "Bad input"): an impossible
// calendar day, a duration past int4, a NUL in a title. A takedown needs only its key: such a
// value is left out with a warning and the takedown applies; any other release is quarantined
// with the reason and the rest of the message applies. And when the database still refuses a
// release the parser let through, the takedown applies by its keys alone.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyDdexMessage } from '../../src/apply/ddex.js';
import type { DdexParsedItem, DdexRelease } from '../../src/catalogue/ddex.js';
import { versionBase } from '../../src/catalogue/version.js';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { tempDir } from '../helpers/feeds.js';
import { impossibleDay, outsideInt4, withNul } from '../helpers/refused-values.js';
import { ingestDdex, openDdexWorld, SENDER, state, territories } from '../helpers/ddex.js';

const NOW = new Date('2026-03-01T00:00:00Z');
const dir = tempDir('feedline-ddex-refused-');
let db: Database;
let config: Config;
let messages = 0;

beforeAll(async () => ({ db, config } = await openDdexWorld(import.meta.filename)));
afterAll(async () => db.close());

interface ReleaseSpec {
  icpn: string;
  isrc: string;
  title?: string;
  releaseDate?: string;
  duration?: string;
  /** Streams worldwide (or in `territory` only); without a deal the message takes the release down (no_deal). */
  live: boolean;
  territory?: string;
}

function recording(spec: ReleaseSpec, ref: string): string {
  return `<SoundRecording><SoundRecordingId><ISRC>${spec.isrc}</ISRC></SoundRecordingId><ResourceReference>${ref}</ResourceReference>
    <ReferenceTitle><TitleText>Track of ${spec.icpn}</TitleText></ReferenceTitle><Duration>${spec.duration ?? 'PT3M30S'}</Duration></SoundRecording>`;
}

function release(spec: ReleaseSpec, ref: string, resource: string): string {
  return `<Release IsMainRelease="true"><ReleaseId><ICPN>${spec.icpn}</ICPN></ReleaseId><ReleaseReference>${ref}</ReleaseReference>
    <ReferenceTitle><TitleText>${spec.title ?? `Album ${spec.icpn}`}</TitleText></ReferenceTitle>
    <ReleaseResourceReferenceList><ReleaseResourceReference>${resource}</ReleaseResourceReference></ReleaseResourceReferenceList>
    <ReleaseType>Single</ReleaseType>
    <ReleaseDetailsByTerritory><TerritoryCode>Worldwide</TerritoryCode><DisplayArtistName>The Lanterns</DisplayArtistName>
      ${spec.releaseDate ? `<ReleaseDate>${spec.releaseDate}</ReleaseDate>` : ''}</ReleaseDetailsByTerritory></Release>`;
}

function deal(ref: string, territory = 'Worldwide'): string {
  return `<ReleaseDeal><DealReleaseReference>${ref}</DealReleaseReference><Deal><DealTerms>
    <CommercialModelType>SubscriptionModel</CommercialModelType><Usage><UseType>OnDemandStream</UseType></Usage>
    <TerritoryCode>${territory}</TerritoryCode><ValidityPeriod><StartDate>2026-01-01</StartDate></ValidityPeriod></DealTerms></Deal></ReleaseDeal>`;
}

/** An ERN 3.8.2 message of these releases, each newer than the last; `edit` changes its text. */
function message(specs: ReleaseSpec[], edit: (xml: string) => string = (xml) => xml): string {
  messages++;
  const created = new Date(Date.UTC(2026, 1, 1, 9) + messages * 60_000).toISOString();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<ern:NewReleaseMessage MessageSchemaVersionId="ern/382" xmlns:ern="http://ddex.net/xml/ern/382">
  <MessageHeader><MessageId>REFUSED-${messages}</MessageId><MessageSender><PartyId>${SENDER}</PartyId></MessageSender>
    <MessageCreatedDateTime>${created}</MessageCreatedDateTime></MessageHeader>
  <ResourceList>${specs.map((s, i) => recording(s, `A${i}`)).join('\n')}</ResourceList>
  <ReleaseList>${specs.map((s, i) => release(s, `R${i}`, `A${i}`)).join('\n')}</ReleaseList>
  <DealList>${specs.flatMap((s, i) => (s.live ? [deal(`R${i}`, s.territory)] : [])).join('\n')}</DealList>
</ern:NewReleaseMessage>`;
  const file = path.join(dir, `refused-${messages}.xml`);
  writeFileSync(file, edit(xml));
  return file;
}

const REFUSED: { name: string; value: Partial<ReleaseSpec>; reason: RegExp }[] = [
  { name: 'an impossible calendar day', value: { releaseDate: '2026-02-30' }, reason: /ReleaseDate "2026-02-30" is not a calendar date \(2026-02 has 28 days\)/ },
  { name: 'a duration past int4', value: { duration: 'PT9999999999S' }, reason: /Duration of 9999999999 s is out of range for an integer column/ },
  { name: 'a NUL in a title', value: { title: 'Quiet\u0000Rooms' }, reason: /TitleText "Quiet\\u0000Rooms" has a NUL character/ },
];

describe('DDEX values the database refuses are caught by the parser', () => {
  it.each(REFUSED)('$name: a takedown applies with a warning; a live release is quarantined, the rest of the message applies', async ({ value, reason }) => {
    const n = 1000 + messages * 3;
    const takedown = { icpn: `50123456${n}0`, isrc: `GBNWR26${n}0` };
    const other = { icpn: `50123456${n}1`, isrc: `GBNWR26${n}1` };
    const good = { icpn: `50123456${n}2`, isrc: `GBNWR26${n}2` };
    await ingestDdex(db, config, message([{ ...takedown, live: true }]), { now: NOW });
    expect(await territories(db, 'release', takedown.icpn)).toEqual({ WW: 'live' });

    const outcome = await ingestDdex(db, config, message([{ ...takedown, ...value, live: false }, { ...other, ...value, live: true }, { ...good, live: true }]), { now: NOW });
    expect(outcome.status, outcome.run.error ?? '').toBe('applied');
    expect(await territories(db, 'release', takedown.icpn)).toEqual({ WW: 'no_deal' });
    expect(await territories(db, 'track', takedown.isrc)).toEqual({ WW: 'no_deal' });
    expect(await territories(db, 'release', other.icpn)).toEqual({});
    expect(await territories(db, 'release', good.icpn)).toEqual({ WW: 'live' });
    const entries = await listQuarantine(db.orm, outcome.run.id);
    expect(entries.map((e) => [e.severity, e.reason])).toEqual([['warning', 'unstorable_value'], ['quarantined', 'unstorable_value']]);
    expect(entries[0]!.raw).toMatch(reason);
    expect(entries[0]!.raw).toMatch(/left out, the takedown applies/);
    expect(entries[1]!.raw).toMatch(reason);
    expect(outcome.run.quarantined).toBe(1);
  });
});

describe('a release that takes down some territories and not others', () => {
  it('is a takedown: it applies without the refused value, with a warning', async () => {
    const ids = { icpn: '5012345677770', isrc: 'GBNWR2677770' };
    await ingestDdex(db, config, message([{ ...ids, live: true }]), { now: NOW });
    const outcome = await ingestDdex(db, config, message([{ ...ids, live: true, territory: 'GB', title: 'Quiet\u0000Rooms' }]), { now: NOW });
    expect(await territories(db, 'release', ids.icpn)).toEqual({ WW: 'territory_not_licensed', GB: 'live' });
    expect(await territories(db, 'track', ids.isrc)).toEqual({ WW: 'territory_not_licensed', GB: 'live' });
    const [warning] = await listQuarantine(db.orm, outcome.run.id);
    expect(warning).toMatchObject({ severity: 'warning', reason: 'unstorable_value' });
    expect(warning!.raw).toMatch(/TitleText "Quiet\\u0000Rooms" has a NUL character.*the takedown applies/);
  });
});

describe('a NUL where a key, a deal term or the header is read', () => {
  it('an identifier with one is skipped, the release applies under its valid one', async () => {
    const outcome = await ingestDdex(db, config, message([{ icpn: '5012345688880', isrc: 'GBNWR2688880', live: true }],
      (xml) => xml.replace('<ICPN>5012345688880</ICPN>', '<ICPN>5012345688880</ICPN><ProprietaryId Namespace="PADPIDA2026010101X">bad\u0000id</ProprietaryId>')), { now: NOW });
    expect(await territories(db, 'release', '5012345688880')).toEqual({ WW: 'live' });
    const [entry] = await listQuarantine(db.orm, outcome.run.id);
    expect(entry).toMatchObject({ reason: 'invalid_identifier', severity: 'warning' });
    expect(entry!.raw).toMatch(/ProprietaryId "bad\\u0000id" has a NUL character/);
  });

  it('a deal term with one makes the deal invalid: the release is quarantined, its stored state kept', async () => {
    const outcome = await ingestDdex(db, config, message([{ icpn: '5012345688881', isrc: 'GBNWR2688881', live: true }],
      (xml) => xml.replace('<TerritoryCode>Worldwide</TerritoryCode><ValidityPeriod>', '<TerritoryCode>G\u0000B</TerritoryCode><ValidityPeriod>')), { now: NOW });
    expect(outcome.status).toBe('applied');
    expect(await territories(db, 'release', '5012345688881')).toEqual({});
    const [entry] = await listQuarantine(db.orm, outcome.run.id);
    expect(entry).toMatchObject({ reason: 'invalid_deal', severity: 'quarantined' });
    expect(entry!.raw).toMatch(/TerritoryCode "G\\u0000B" has a NUL character/);
  });

  it('a header field with one rejects the message', async () => {
    const outcome = await ingestDdex(db, config, message([{ icpn: '5012345688882', isrc: 'GBNWR2688882', live: true }],
      (xml) => xml.replace(/<MessageId>[^<]*<\/MessageId>/, '<MessageId>M\u00001</MessageId>')), { now: NOW });
    expect(outcome.status).toBe('rejected');
    expect(outcome.run.error).toMatch(/MessageHeader messageId "M\\u00001" has a NUL character/);
  });
});

describe('DDEX values the database refuses past the parser', () => {
  it('a refused takedown applies by its keys alone with the refusal as a warning; a refused live release is quarantined', async () => {
    const first = await ingestDdex(db, config, message([{ icpn: '5012345699990', isrc: 'GBNWR2699990', live: true }, { icpn: '5012345699991', isrc: 'GBNWR2699991', live: true }]), { now: NOW });
    expect(await territories(db, 'release', '5012345699990')).toEqual({ WW: 'live' });
    const header = { messageType: 'NewReleaseMessage' as const, schemaVersion: '3.8.2', senderPartyId: SENDER, messageId: 'PAST-PARSER', createdAt: new Date('2026-02-27T09:00:00Z') };
    const position = { line: 5, column: 1 };
    // Values the parser would have taken out, handed straight to apply as a rule nobody foresaw would.
    const bad = (icpn: string, isrc: string, live: boolean): DdexRelease => ({
      ids: { icpn, proprietaryIds: [] }, title: 'Bad\u0000Title', explicit: false, position: { ...position, line: position.line + Number(live) },
      tracks: [{ isrc, title: 'Bad\u0000Track', explicit: false, trackReleaseDeals: [] }],
      deals: live ? [{ useTypes: ['OnDemandStream'], commercialModelTypes: ['SubscriptionModel'], territories: { kind: 'included', codes: ['Worldwide'] }, takeDown: false }] : [],
    });
    async function* events(): AsyncGenerator<DdexParsedItem> {
      yield { type: 'release', release: bad('5012345699990', 'GBNWR2699990', false) };
      yield { type: 'release', release: bad('5012345699991', 'GBNWR2699991', true) };
    }
    const totals = await applyDdexMessage(db.orm, { runId: first.run.id, file: 'past-parser.xml', header, versionBase: versionBase(header.createdAt, 'ddex').toString() }, events(), NOW);
    expect(totals).toMatchObject({ releases: 1, quarantined: 1 });
    expect(await territories(db, 'release', '5012345699990')).toEqual({ WW: 'no_deal' });
    expect(await territories(db, 'track', 'GBNWR2699990')).toEqual({ WW: 'no_deal' });
    expect((await state(db, 'release', '5012345699991', 'WW'))?.title).toBe('Album 5012345699991');
    const entries = (await listQuarantine(db.orm, first.run.id)).filter((e) => e.line >= position.line);
    expect(entries.map((e) => [e.line, e.severity])).toEqual([[5, 'warning'], [6, 'quarantined']]);
    expect(entries[0]!.raw).toMatch(/refused by the database: .*takedown applied by its keys alone/);
  });
});

/** One value of each class the parser must take out, in the elements the message builder writes. */
const REFUSED_VALUES = fc.oneof(
  impossibleDay.map((releaseDate) => ({ releaseDate })),
  outsideInt4.filter((n) => n > 0n).map((n) => ({ duration: `PT${n}S` })),
  withNul(/[<&]/g).map((title) => ({ title: `x${title}` })),
);

const messageArbitrary = fc.array(fc.record({ live: fc.boolean(), refused: fc.option(REFUSED_VALUES, { freq: 2 }) }), { minLength: 1, maxLength: 5 });

describe('property: a DDEX takedown is never lost to a value the database refuses', () => {
  it('every takedown ends down, every clean release live, every refused live release keeps its stored state, each refusal on record', async () => {
    let next = 3_000_000;
    await fc.assert(fc.asyncProperty(messageArbitrary, async (releases) => {
      const specs = releases.map(() => {
        next++;
        return { icpn: String(5_000_000_000_000 + next), isrc: `GBPRP${String(next).padStart(7, '0')}` };
      });
      await ingestDdex(db, config, message(specs.map((ids) => ({ ...ids, live: true }))), { now: NOW });
      const outcome = await ingestDdex(db, config, message(specs.map((ids, i) => ({ ...ids, ...releases[i]!.refused, live: releases[i]!.live }))), { now: NOW });
      expect(outcome.status, outcome.run.error ?? '').toBe('applied');
      for (const [i, { live, refused }] of releases.entries()) {
        const where = JSON.stringify(releases[i]);
        expect(await territories(db, 'release', specs[i]!.icpn), where).toEqual({ WW: live ? 'live' : 'no_deal' });
        expect(await territories(db, 'track', specs[i]!.isrc), where).toEqual({ WW: live ? 'live' : 'no_deal' });
        if (live && refused) expect((await state(db, 'release', specs[i]!.icpn, 'WW'))?.title, where).toBe(`Album ${specs[i]!.icpn}`);
      }
      const entries = await listQuarantine(db.orm, outcome.run.id);
      // The parser caught each one: none reached the database's fallback.
      expect(entries.filter((e) => e.raw.includes('refused by the database'))).toEqual([]);
      expect(entries.filter((e) => e.severity === 'warning').length).toBe(releases.filter((r) => !r.live && r.refused).length);
      expect(outcome.run.quarantined).toBe(releases.filter((r) => r.live && r.refused).length);
    }), { numRuns: 15 });
  }, 120_000);
});
