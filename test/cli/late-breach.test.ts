// Nothing late goes unsaid (issue 24): a feed published 17 days ago and ingested now applies
// its takedown 400-odd hours after publication. That is a breach on record: `feedline ingest`
// raises it (no sweep may ever run), `feedline sla` exits 8 until it is acknowledged, the SLA
// page lists it, /metrics counts it.
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { query, type Database } from '../../src/db/client.js';
import { createAlerter } from '../../src/sla/alerts.js';
import { headlineFor } from '../../src/http/headline.js';
import { slaSnapshot } from '../../src/sla/deadlines.js';
import { countAlertEvents, openAlerts } from '../../src/db/sla.js';
import { sweepOnce } from '../../src/sla/sweep.js';
import { feedline } from '../helpers/cli.js';
import { connect, freshDatabase } from '../helpers/db.js';
import { tempDir, trackRecord, updatesFeed } from '../helpers/feeds.js';
import { silentLogger, testConfig } from '../helpers/pipeline.js';

let url: string;
let db: Database;
let env: Record<string, string>;
const dir = tempDir();

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  db = await connect(url);
  env = { DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-home-') };
});
afterAll(async () => db.close());

describe('a change applied outside its window', () => {
  it('is a breach on record, saying how late, counted, shown, and in feedline sla until acknowledged', async () => {
    const published = new Date(Date.now() - 17 * 24 * 3_600_000);
    const file = updatesFeed(dir, `GB_track_updates_${published.toISOString().slice(0, 10).replaceAll('-', '')}.csv.gz`, [trackRecord(11302, {}, 'D')]);
    const ingested = await feedline(['ingest', file, '--published-at', published.toISOString(), '--json'], env);
    expect(ingested.code, ingested.stderr).toBe(0);
    const runId = (JSON.parse(ingested.stdout) as { runId: number }).runId;
    const subject = `sla-late-${runId}`;

    const [alert] = await query<{ state: string; message: string }>(db.orm, sql`select state, message from alerts where subject = ${subject}`);
    expect(alert).toMatchObject({ state: 'breach', message: expect.stringMatching(/applied 40[89]h\d\dm after publication, 38[45]h\d\dm past the 24 h window/) });
    const status = await feedline(['sla'], env);
    expect(status.code).toBe(8);
    expect(status.stdout).toContain('overall: breach');
    expect(status.stdout).toContain(`run ${runId}`);
    expect(await countAlertEvents(db.orm, 'sla', 'breach')).toBe(1);
    const config = testConfig({ DATABASE_URL: url });
    expect(headlineFor(await slaSnapshot(db, config.sla, new Date()), await openAlerts(db.orm), 24).overall).toBe('breach');

    // A sweep does not raise it again; an acknowledgement closes it.
    const alerter = createAlerter({ db, logger: silentLogger, webhooks: { urls: [], timeoutMs: 1000 } });
    const sweep = () => sweepOnce({ db, alerter, sla: config.sla, logger: silentLogger, now: () => new Date() }, { quarantineAlertShare: 1 });
    await sweep();
    expect(await countAlertEvents(db.orm, 'sla', 'breach')).toBe(1);
    expect((await feedline(['sla'], env)).code).toBe(8);
    const ack = await feedline(['alerts', 'ack', subject, '--by', 'ops'], env);
    expect(ack.code, ack.stderr).toBe(0);
    expect(ack.stdout).toContain('resolved');
    expect((await feedline(['sla'], env)).code).toBe(0);
    expect(await countAlertEvents(db.orm, 'sla', 'breach')).toBe(1);
  }, 120_000);
});
