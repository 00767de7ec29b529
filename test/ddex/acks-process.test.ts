// DDEX acknowledgements through the feedline executable (issue 27): a process killed between
// applying a message and acknowledging it leaves the acknowledgement to the next pass over the
// batch; a reader polling the batch folder never sees half an acknowledgement; `feedline ddex
// acks` lists them.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { feedline, feedlineProcess } from '../helpers/cli.js';
import { freshDatabase } from '../helpers/db.js';
import { ackSummary, parseXml, readAck } from '../helpers/ddex-ack.js';
import { fixture, SENDER } from '../helpers/ddex.js';
import { tempDir } from '../helpers/feeds.js';

const US = 'PADPIDA2026010102Y';
let url: string;
let env: Record<string, string>;
let admin: postgres.Sql;

beforeAll(async () => {
  url = await freshDatabase(import.meta.filename);
  env = { DATABASE_URL: url, FEEDLINE_HOME: tempDir('feedline-ack-home-'), FEEDLINE_DDEX_RECIPIENT_PARTY_ID: US };
  admin = postgres(url, { max: 3, onnotice: () => {} });
});
afterAll(async () => admin.end());

function batch(id: string, files: Record<string, string>): string {
  const dir = path.join(tempDir('feedline-ack-'), id);
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) copyFileSync(source, path.join(dir, name));
  writeFileSync(path.join(dir, `BatchComplete_${id}.xml`), '');
  return dir;
}

async function until(check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const acksIn = (dir: string) => readdirSync(dir).filter((f) => /^ACK_.*\.xml$/.test(f)).sort();

describe('acknowledgements and the process that writes them', () => {
  it('a process killed after applying a message but before acknowledging it: the next pass over the batch writes the acknowledgement', async () => {
    const dir = batch('CRASH1', { 'delivery.xml': fixture('ern382-delivery.xml') });
    // Hold the acknowledgements table: the process applies the message, then waits here.
    const lock = await admin.reserve();
    await lock`begin`;
    await lock`lock table ddex_acks in access exclusive mode`;
    const child = feedlineProcess(['ingest', dir, '--json'], env);
    const exited = new Promise((resolve) => child.on('exit', resolve));
    try {
      await until(async () => {
        const [applied] = await admin`select count(*)::integer as n from feed_runs where status = 'applied'`;
        const [waiting] = await admin`select count(*)::integer as n from pg_locks where not granted and locktype = 'relation'`;
        return applied!.n === 1 && waiting!.n > 0;
      });
      child.kill('SIGKILL');
      await exited;
    } finally {
      await lock`rollback`;
      lock.release();
    }
    expect(acksIn(dir)).toEqual([]);
    expect((await admin`select count(*)::integer as n from ddex_acks`)[0]!.n).toBe(0);

    const again = await feedline(['ingest', dir, '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).messages).toEqual([expect.objectContaining({ status: 'duplicate', ack: path.join(dir, 'ACK_delivery.xml') })]);
    expect(ackSummary(readAck(path.join(dir, 'ACK_delivery.xml')))).toMatchObject({
      messageId: 'NWR-MSG-0002', batchId: 'CRASH1', sender: US, recipient: SENDER, statuses: [['FileOK', expect.stringMatching(/^applied: 1 release\(s\), 3 released/)]],
    });
    expect(readdirSync(dir).filter((f) => f.startsWith('.'))).toEqual([]);

    const listed = await feedline(['ddex', 'acks', '--batch', dir, '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({
      batchId: 'CRASH1', messageFile: 'delivery.xml', messageId: 'NWR-MSG-0002', sender: SENDER, status: 'applied', ackFile: path.join(dir, 'ACK_delivery.xml'), writtenAt: expect.any(String),
    })]);
    const table = await feedline(['ddex', 'acks'], env);
    expect(table.stdout).toMatch(/^batch\s+message\s+messageId\s+sender\s+status\s+written\s+file\n/);
    expect(table.stdout).toContain('ACK_delivery.xml');
  }, 240_000);

  it('a reader polling the batch folder only ever sees whole acknowledgements', async () => {
    const files = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`m${String(i).padStart(2, '0')}.xml`, fixture('ern382-update.xml')]));
    const dir = batch('POLL1', files);
    const child = feedlineProcess(['ingest', dir], env);
    let running = true;
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => { running = false; resolve(code); }));
    const seen = new Set<string>();
    while (running) {
      for (const name of acksIn(dir)) {
        const xml = readFileSync(path.join(dir, name), 'utf8');
        expect(xml.endsWith('</ern-c-sftp:AcknowledgementMessage>\n'), `${name} read whole`).toBe(true);
        expect(() => parseXml(xml)).not.toThrow();
        seen.add(name);
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await exited).toBe(0);
    expect(acksIn(dir)).toHaveLength(20);
    expect(seen.size).toBeGreaterThan(0);
  }, 240_000);
});
