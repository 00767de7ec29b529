// `feedline events import`: events the provider redrives from its archive queue as files
// (one JSON body per file, or one body per line: each a JSON array of items), stored in the
// inbox exactly as if received, then applied. A body that is not valid is recorded as
// rejected with its file, line and every item's reason.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Database } from '../db/client.js';
import { acceptBody } from './accept.js';
import { directInbox } from './group-store.js';
import type { EndpointKind } from './model.js';
import { systemClock } from '../clock.js';

export interface ImportReport {
  files: number;
  stored: number[];
  duplicates: number;
  tests: number;
  rejected: { file: string; line: number; reason: string }[];
}

async function filesOf(target: string): Promise<string[]> {
  if (!(await stat(target)).isDirectory()) return [target];
  const names = (await readdir(target)).filter((n) => /\.(json|jsonl|ndjson)$/i.test(n)).sort();
  return names.map((n) => path.join(target, n));
}

/** A file is one JSON document, or else one event per non-empty line. */
function bodiesOf(text: string): { line: number; text: string }[] {
  try {
    JSON.parse(text);
    return [{ line: 1, text: text.trim() }];
  } catch {
    return text.split('\n').map((t, i) => ({ line: i + 1, text: t.trim() })).filter((b) => b.text.length > 0);
  }
}

/** Enhanced Metadata items carry `trackId`; everything else (unreadable JSON too) goes to the Standard endpoint's rules. */
function endpointOf(text: string): EndpointKind {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return 'standard';
  }
  const first: unknown = Array.isArray(body) ? body[0] : body;
  return first !== null && typeof first === 'object' && 'trackId' in first ? 'enhanced' : 'standard';
}

export async function importEvents(db: Database, target: string, source: string): Promise<ImportReport> {
  const report: ImportReport = { files: 0, stored: [], duplicates: 0, tests: 0, rejected: [] };
  const inbox = directInbox(db.orm);
  for (const file of await filesOf(target)) {
    report.files++;
    for (const { line, text } of bodiesOf(await readFile(file, 'utf8'))) {
      const accepted = await acceptBody(inbox, {
        endpoint: endpointOf(text), source, text, gzip: false, receivedAt: systemClock(), ackMs: () => 0,
        reasonPrefix: `${path.basename(file)} line ${line}: `,
      });
      if (!accepted.accepted) {
        report.rejected.push({ file, line, reason: accepted.reason });
        continue;
      }
      for (const outcome of accepted.outcomes) {
        if (outcome.outcome === 'stored') report.stored.push(outcome.id);
        else if (outcome.outcome === 'duplicate') report.duplicates++;
        else report.tests++;
      }
    }
  }
  return report;
}
