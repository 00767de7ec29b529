// DDEX bad input (issue 17): a deal that ends before it starts, or lists both kinds of
// territory, is quarantined as invalid_deal and the stored release is left as it was; a
// malformed identifier beside a valid one is a warning and the release applies under the
// valid one; a deal limited to another service's DistributionChannel makes nothing
// available (ERN 3.8 and 4.3), judged against FEEDLINE_DDEX_RECIPIENT_PARTY_ID or the
// message's MessageRecipient.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/schema.js';
import type { Database } from '../../src/db/client.js';
import { listQuarantine } from '../../src/db/run-lookups.js';
import { fixture, ingestDdex, territories, openDdexWorld, variant } from '../helpers/ddex.js';
import { testConfig } from '../helpers/pipeline.js';

const NOW = new Date('2026-03-15T00:00:00Z');
let db: Database;
let config: Config;

beforeAll(async () => ({ db, config } = await openDdexWorld(import.meta.filename)));
afterAll(async () => db.close());

describe('DDEX deals that are not valid terms', () => {
  it('a deal ending before it starts: invalid_deal quarantined; the live release stays live (not deal_expired)', async () => {
    const earlier = variant('ern382-deal-end-before-start.xml', {
      '<StartDate>2026-06-01</StartDate>': '<StartDate>2026-01-01</StartDate>',
      '<EndDate>2026-01-31</EndDate>': '<EndDate>2026-12-31</EndDate>',
      '2026-03-01T09:00:00Z': '2026-02-01T09:00:00Z',
      'NWR-MSG-1701': 'NWR-MSG-1700',
    });
    await ingestDdex(db, config, earlier, { now: NOW });
    expect(await territories(db, 'release', '5012345677101')).toEqual({ WW: 'live' });
    const outcome = await ingestDdex(db, config, fixture('ern382-deal-end-before-start.xml'), { now: NOW });
    expect(outcome.run.status).toBe('applied');
    const q = await listQuarantine(db.orm, outcome.run.id);
    expect(q.map((r) => [r.reason, r.severity])).toEqual([['invalid_deal', 'quarantined']]);
    expect(q[0]!.raw).toContain('a deal ends (2026-02-01T00:00:00.000Z) before it starts (2026-06-01T00:00:00.000Z)');
    expect(await territories(db, 'release', '5012345677101')).toEqual({ WW: 'live' });
    expect(await territories(db, 'track', 'GBNWR2601701')).toEqual({ WW: 'live' });
  });

  it('a deal with both TerritoryCode and ExcludedTerritoryCode: invalid_deal, nothing stored', async () => {
    const both = variant('ern382-deal-end-before-start.xml', {
      '<EndDate>2026-01-31</EndDate>': '<EndDate>2026-12-31</EndDate>',
      '<TerritoryCode>Worldwide</TerritoryCode>\n          <ValidityPeriod>': '<TerritoryCode>GB</TerritoryCode><ExcludedTerritoryCode>US</ExcludedTerritoryCode>\n          <ValidityPeriod>',
      '5012345677101': '5012345677200',
      'GBNWR2601701': 'GBNWR2601799',
    });
    const outcome = await ingestDdex(db, config, both, { now: NOW });
    const q = await listQuarantine(db.orm, outcome.run.id);
    expect(q.map((r) => r.reason)).toEqual(['invalid_deal']);
    expect(q[0]!.raw).toContain('both TerritoryCode and ExcludedTerritoryCode');
    expect(await territories(db, 'release', '5012345677200')).toEqual({});
  });
});

describe('DDEX identifiers', () => {
  it('an ICPN of the wrong length beside a valid GRid: a warning, and the release applies under its GRid', async () => {
    const outcome = await ingestDdex(db, config, fixture('ern382-malformed-icpn.xml'), { now: NOW });
    expect(outcome.run).toMatchObject({ status: 'applied', quarantined: 0 });
    const q = await listQuarantine(db.orm, outcome.run.id);
    expect(q.map((r) => [r.reason, r.severity])).toEqual([['invalid_identifier', 'warning']]);
    expect(q[0]!.raw).toContain('ICPN "50123456772" is not 12 to 14 digits');
    expect(await territories(db, 'release', 'A12425GNWR1702001M')).toEqual({ WW: 'live' });
  });
});

describe('DDEX DistributionChannel', () => {
  it('ERN 3.8: a streaming deal for another service only makes nothing available (other_distribution_channel)', async () => {
    await ingestDdex(db, config, fixture('ern382-other-channel.xml'), { now: NOW });
    expect(await territories(db, 'release', '5012345677309')).toEqual({ WW: 'other_distribution_channel' });
    expect(await territories(db, 'track', 'GBNWR2601703')).toEqual({ WW: 'other_distribution_channel' });
  });

  it('the same deal naming this service (the MessageRecipient) is live; FEEDLINE_DDEX_RECIPIENT_PARTY_ID overrides the recipient', async () => {
    const ours = variant('ern382-other-channel.xml', { 'PADPIDA2099999999Z': 'PADPIDA2026010102Y', '2026-03-01T09:00:00Z': '2026-03-02T09:00:00Z' });
    await ingestDdex(db, config, ours, { now: NOW });
    expect(await territories(db, 'release', '5012345677309')).toEqual({ WW: 'live' });
    const renamed = variant('ern382-other-channel.xml', { 'PADPIDA2099999999Z': 'PADPIDA2026010102Y', '2026-03-01T09:00:00Z': '2026-03-03T09:00:00Z' });
    await ingestDdex(db, testConfig({ DATABASE_URL: config.databaseUrl!, FEEDLINE_DDEX_RECIPIENT_PARTY_ID: 'PADPIDA2026999999Q' }), renamed, { now: NOW });
    expect(await territories(db, 'release', '5012345677309')).toEqual({ WW: 'other_distribution_channel' });
  });

  it('ERN 4.3: streaming deals limited to another channel make the album unavailable; its download deal still licenses no stream', async () => {
    const elsewhere = variant('ern43-delivery.xml', {
      '<CommercialModelType>SubscriptionModel</CommercialModelType>': '<DistributionChannel><PartyId>PADPIDA2099999999Z</PartyId></DistributionChannel><CommercialModelType>SubscriptionModel</CommercialModelType>',
    });
    await ingestDdex(db, config, elsewhere, { now: NOW });
    expect(await territories(db, 'release', '5012345678986')).toEqual({ WW: 'other_distribution_channel', US: 'no_streaming_use' });
  });
});
