// Builders for small feed files written by the tests themselves.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

export const TRACK_HEADER = 'trackId,title,version,type,isrc,explicitContent,trackNumber,discNumber,artistId,artistAppearsAs,releaseId,duration,formats,price,rrp,url,popularity,streamingReleaseDate,licensorID';

export interface TrackFields {
  title?: string;
  version?: string;
  explicit?: boolean;
  isrc?: string;
}

/** One CSV record for a track; quotes fields that need it, as the provider does. */
export function trackRecord(id: number | string, fields: TrackFields = {}, action?: 'I' | 'U' | 'D'): string {
  const values = [
    String(id), fields.title ?? `Track ${id}`, fields.version ?? '', 'Audio', fields.isrc ?? `GBTST${String(id).padStart(7, '0')}`,
    String(fields.explicit ?? false), '1', '1', '77', 'Test Artist', '88', '200', '17', '0.99', '0.99',
    `https://example.test/t/${id}`, '0.5', '2026-01-01T00:00:00Z', '1',
  ].map(csvField);
  return action ? [action, ...values].join(',') : values.join(',');
}

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function tempDir(prefix = 'feedline-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export interface WriteOptions {
  gzip?: boolean;
  bom?: boolean;
  crlf?: boolean;
}

/** Writes header + records as a feed file named `name` in `dir`; returns its path. */
export function writeFeed(dir: string, name: string, header: string, records: string[], options: WriteOptions = {}): string {
  const eol = options.crlf ? '\r\n' : '\n';
  let text = [header, ...records].join(eol) + eol;
  if (options.bom) text = `\uFEFF${text}`;
  const bytes = Buffer.from(text, 'utf8');
  const file = path.join(dir, name);
  writeFileSync(file, options.gzip === false ? bytes : gzipSync(bytes));
  return file;
}

export function updatesFeed(dir: string, name: string, records: string[], options?: WriteOptions): string {
  return writeFeed(dir, name, `action,${TRACK_HEADER}`, records, options);
}
