// The CSV parser's two structural steps on their own: cutting text into records (quotes may
// hold line breaks; a broken quote swallows no record after it) and splitting one record
// into fields by RFC 4180. Whole feeds through the CLI are in test/hostile and test/cli.
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { leadingFields, splitFields } from '../../src/parse/fields.js';
import { recordStart } from '../../src/parse/header.js';
import { RecordSplitter, type SplitRecord } from '../../src/parse/records.js';

const HEADER = 'action,trackId,title';
const startsRecord = recordStart(new Map([['action', 0], ['trackid', 1], ['title', 2]]), 'trackId');

/** Splits `text`, handed over in chunks of `chunkSize` bytes, after a header that recognises records. */
async function split(text: string, chunkSize = 7, maxRecordChars = 1000): Promise<SplitRecord[]> {
  const bytes = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
  const splitter = new RecordSplitter(Readable.from(chunks), { maxRecordChars });
  const out: SplitRecord[] = [];
  for await (const record of splitter.records()) {
    if (out.length === 0) splitter.recognise(startsRecord);
    out.push(record);
  }
  return out;
}

describe('RecordSplitter', () => {
  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
    ['CR', '\r'],
  ])('cuts %s-terminated records, keeping line breaks inside quotes, skipping blank lines', async (_name, br) => {
    const text = [HEADER, 'I,1,plain', `U,2,"two${br}lines"`, '', 'D,3,', ''].join(br);
    expect(await split(text)).toEqual([
      { line: 1, raw: HEADER },
      { line: 2, raw: 'I,1,plain' },
      { line: 3, raw: `U,2,"two${br}lines"` },
      { line: 6, raw: 'D,3,' },
    ]);
  });

  it('is the same whatever the chunk size, a multi-byte character split across chunks included', async () => {
    const text = `${HEADER}\nI,1,"Björk ""live""\nin Reykjavík"\nD,2,Sigur Rós\n`;
    const whole = await split(text, 1 << 20);
    for (const size of [1, 2, 3, 5]) expect(await split(text, size)).toEqual(whole);
    expect(whole.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('ends a quote that runs into a line starting like a record: that line is the next record', async () => {
    const records = await split(`${HEADER}\nI,1,"never closed\nD,2,taken down\nI,3,fine\n`);
    expect(records.slice(1)).toEqual([
      { line: 2, raw: 'I,1,"never closed', broken: 'a quoted field opened on line 2 is not closed before line 3, which starts a new record' },
      { line: 3, raw: 'D,2,taken down' },
      { line: 4, raw: 'I,3,fine' },
    ]);
  });

  it('reports a quote still open at the end of the file, with the line it opened on', async () => {
    const records = await split(`${HEADER}\nI,1,ok\nU,2,"open\nstill open`);
    expect(records.at(-1)).toEqual({ line: 3, raw: 'U,2,"open\nstill open', broken: 'a quoted field opened on line 3 is not closed before the end of the file' });
  });

  it('bounds a runaway quote by maxRecordChars', async () => {
    const records = await split(`${HEADER}\nI,1,"${'x\n'.repeat(100)}`, 64, 50);
    expect(records[1]).toMatchObject({ line: 2, broken: 'a quoted field opened on line 2 is still open after 50 characters' });
  });

  it('says so when no line break comes in the first 64 KiB', async () => {
    const records = await split('x'.repeat(70 * 1024), 4096);
    expect(records).toEqual([{ line: 1, raw: 'x'.repeat(64 * 1024), broken: 'no line break in the first 64 KiB' }]);
  });
});

describe('recordStart', () => {
  it('recognises an action of letters and a numeric key, and nothing quoted before the key', () => {
    expect(['I,1,a', ' d ,42', 'X,-7,', ',5,z'].map(startsRecord)).toEqual([true, true, true, true]);
    expect(['continued text', '"I",1,a', 'I,abc,d', 'I,1x,', 'Insert,1,'].map(startsRecord)).toEqual([false, false, false, false, false]);
  });
});

describe('splitFields', () => {
  it('splits plain, quoted, escaped-quote, empty and trailing-empty fields', () => {
    expect(splitFields('a,"b,c","say ""hi""",,"",last,')).toEqual({ fields: ['a', 'b,c', 'say "hi"', '', '', 'last', ''] });
    expect(splitFields('')).toEqual({ fields: [''] });
    expect(splitFields('"multi\nline"')).toEqual({ fields: ['multi\nline'] });
  });

  it('names the field of each structural error', () => {
    expect(splitFields('a,"open')).toEqual({ error: 'field 2: a quoted field never closes' });
    expect(splitFields('a,"b"c,d')).toEqual({ error: 'field 2: text after its closing quote (invalid closing quote)' });
    expect(splitFields('a,b"c')).toEqual({ error: 'field 2: a quote inside an unquoted field' });
  });
});

describe('leadingFields', () => {
  it('reads the plain fields a broken record still starts with, and refuses quoted ones', () => {
    expect(leadingFields('D,17,"broken\nrest', 2)).toEqual(['D', '17']);
    expect(leadingFields('D,"17",x', 2)).toBeUndefined();
    expect(leadingFields('D', 2)).toBeUndefined();
  });
});
