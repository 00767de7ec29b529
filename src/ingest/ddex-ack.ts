// Acknowledging each message of a DDEX batch to its sender (issue 27), once its run's outcome
// is final (applied or rejected). The acknowledgement is claimed in PostgreSQL first, then
// its file is written under a temporary name and renamed into place (a sender polling the
// folder never sees half a file), then marked written. A batch processed again, or after a
// crash between apply and acknowledgement, finds the claim: written, nothing is rewritten;
// not yet written, the file is written now. A later outcome (a message re-delivered and now
// applied) is a new claim and gets its own file. The XML: src/ingest/ddex-ack-xml.ts.
import { mkdir, open, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { Database } from '../db/client.js';
import { ackProblems, claimDdexAck, markDdexAckWritten, type DdexAck } from '../db/ddex-acks.js';
import type { Run } from '../db/runs.js';
import { ackFileName, MAX_LISTED_PROBLEMS, MAX_QUOTED_CHARS, renderAck, type AckOutcome } from './ddex-ack-xml.js';

export interface AckTarget {
  batchDir: string;
  batchId: string;
  /** The message file, relative to the batch folder. */
  messageFile: string;
}

export interface WrittenAck extends DdexAck {
  /** False: the acknowledgement was already in place (a batch processed again). */
  fresh: boolean;
}

/** The BatchId a batch's marker names (BatchComplete_<BatchId>.xml), else its folder's name. */
export function batchIdOf(batchDir: string, marker: string | undefined): string {
  const named = marker && /^BatchComplete_(.+)\.xml$/i.exec(path.basename(marker))?.[1];
  return named || path.basename(path.resolve(batchDir));
}

/** The outcome an acknowledgement reports, or undefined while the run is not final. */
export function ackOutcome(run: Pick<Run, 'status' | 'quarantined'>, warnings: number): AckOutcome | undefined {
  if (run.status === 'rejected') return 'rejected';
  if (run.status !== 'applied') return undefined;
  if (run.quarantined > 0) return 'quarantined';
  return warnings > 0 ? 'applied_with_warnings' : 'applied';
}

function count(n: unknown): number {
  return typeof n === 'number' ? n : 0;
}

/** What applied, in our own words: released, updated, taken down, scheduled, purged. */
export function appliedSummary(run: Run): string {
  const m = run.meta;
  const parts = [
    `${count(m.releases)} release(s)`,
    `${run.inserted} released`,
    `${run.updated} updated`,
    `${run.takenDown} taken down`,
    `${count(m.scheduled)} scheduled`,
    `${count(m.purges)} purge(s)`,
    `${count(m.stale)} older than what we hold (not applied)`,
    `${run.quarantined} quarantined`,
  ];
  return parts.join(', ');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Acknowledges one message of a batch; undefined while its run is not final. */
export async function acknowledgeMessage(deps: { config: Config; db: Database }, target: AckTarget, run: Run): Promise<WrittenAck | undefined> {
  const orm = deps.db.orm;
  // Problems are read capped in SQL: a quarantine row may hold megabytes of the sender's text.
  const { problems, total, warnings } = await ackProblems(orm, run.id, MAX_LISTED_PROBLEMS, MAX_QUOTED_CHARS + 1);
  const outcome = ackOutcome(run, warnings);
  if (!outcome) return undefined;
  const folder = deps.config.ddexAckDir
    ? path.join(deps.config.ddexAckDir, safeSegment(target.batchId), path.dirname(target.messageFile))
    : path.join(target.batchDir, path.dirname(target.messageFile));
  const ack = await claimDdexAck(orm, {
    runId: run.id,
    outcome,
    batchDir: target.batchDir,
    batchId: target.batchId,
    messageFile: target.messageFile,
    fileSha256: run.fileSha256,
    ackPath: (earlier) => path.join(folder, ackFileName(path.basename(target.messageFile), earlier)),
    ackMessageId: (id) => `FEEDLINE-ACK-${id}`,
  });
  if (ack.writtenAt) return { ...ack, fresh: false };
  const m = run.meta;
  const xml = renderAck({
    ackMessageId: ack.ackMessageId,
    createdAt: ack.createdAt,
    senderPartyId: deps.config.ddexRecipientPartyId ?? text(m.recipient) ?? 'unknown',
    recipientPartyId: run.source,
    messageThreadId: text(m.messageThreadId),
    messageId: text(m.messageId) ?? '',
    messageType: text(m.messageType) ?? 'NewReleaseMessage',
    messageFileName: target.messageFile,
    batchId: target.batchId,
    outcome,
    summary: outcome === 'rejected' ? `rejected whole, nothing applied: ${run.error ?? 'unreadable'}`
      : outcome === 'quarantined' ? `the rest applied, ${run.quarantined} item(s) quarantined (listed below): ${appliedSummary(run)}`
      : appliedSummary(run),
    problems: problems.map((p) => ({ line: p.line, column: p.column, reason: p.reason, detail: p.detail, warning: p.severity === 'warning' })),
    moreProblems: total - problems.length,
  });
  await writeAtomically(ack.ackPath, xml);
  return { ...ack, writtenAt: await markDdexAckWritten(orm, ack.id), fresh: true };
}

/** A BatchId as one folder name: no separators, no `..`. */
function safeSegment(id: string): string {
  const cleaned = id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return cleaned === '' || /^\.+$/.test(cleaned) ? 'batch' : cleaned;
}

/** Temporary name (a dot file, not *.xml, so no poller takes it for an ack), fsync, rename. */
async function writeAtomically(target: string, content: string): Promise<void> {
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.tmp`);
  const handle = await open(temporary, 'w', 0o644);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(temporary, { force: true });
    throw err;
  }
  await handle.close();
  await rename(temporary, target);
}
