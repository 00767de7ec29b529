// The DDEX ERN source (issue 5): a message file (XML, or gzip of it) is told from a CSV feed by
// its content and registered as one run (entity and kind `ddex`, country `WW`, feed date =
// MessageCreatedDateTime's date, the sender from its header) and applied in this process,
// release by release as the parser yields them, a few dozen per transaction
// (src/apply/ddex.ts). Every release is its own whole truth, so a message is not cut into
// queued batches; REDIS_URL does not change this. Batch folders: src/ingest/ddex-batch.ts.
import { stat } from 'node:fs/promises';
import { applyDdexMessage } from '../apply/ddex.js';
import { versionBase } from '../catalogue/version.js';
import { countQuarantined, databaseNow, finishRuns, heartbeat, logRunFinish } from '../db/runs.js';
import { DdexRejectedError, FeedRejectedError } from '../errors.js';
import { openArchive } from '../archive/open.js';
import { readDdexMessage } from '../parse/ddex/index.js';
import type { DdexParsedItem, DdexMessageHeader, DdexProblem } from '../catalogue/ddex.js';
import { encodingReason, fileHead, foreignEncoding, headText } from '../parse/encoding.js';
import { openFeed, peekFeed } from '../parse/input.js';
import { runName, type IngestContext, type IngestRequest, type SourceAdapter } from './lifecycle.js';
import { systemClock } from '../clock.js';

/** The source recorded on a run whose header could not be read. */
const UNKNOWN_SENDER = 'ddex-unknown';

/** Whether the file (after gunzip) starts, past whitespace and a BOM, with `<` in any Unicode encoding: XML, so DDEX. */
export async function isXmlFile(filePath: string): Promise<boolean> {
  // A missing file is the caller's to report.
  if (!(await stat(filePath).catch(() => undefined))?.isFile()) return false;
  return headText(await fileHead(filePath)).trimStart().startsWith('<');
}

/** The message's header, or the fatal problem that stops it being read. Reads only the head of the file. */
export async function readHeader(filePath: string, name: string): Promise<{ header: DdexMessageHeader } | { problem: DdexProblem }> {
  const encoding = foreignEncoding(await fileHead(filePath, 4));
  if (encoding) return { problem: { file: name, line: 1, column: 1, reason: 'malformed_xml', detail: encodingReason(encoding), fatal: true } };
  const { stream, close } = await peekFeed(filePath);
  const items = readDdexMessage(stream, name);
  try {
    for await (const item of items) {
      if (item.type === 'header') return { header: item.header };
      if (item.type === 'problem' && item.problem.fatal) return { problem: item.problem };
    }
    return { problem: { file: name, line: 1, column: 1, reason: 'invalid_header', detail: 'no MessageHeader', fatal: true } };
  } catch (err) {
    return { problem: { file: name, line: 1, column: 1, reason: 'malformed_xml', detail: `unreadable: ${(err as Error).message}`, fatal: true } };
  } finally {
    await items.return(undefined);
    close();
  }
}

/** One DDEX message; the run is applied (or rejected) when the lifecycle returns. */
export function ddexSource(ctx: IngestContext, request: IngestRequest): SourceAdapter {
  const { config, db } = ctx;
  const name = runName(request);
  return {
    async open(file) {
      // Parse the archived bytes, not the operator's file, which may change under us.
      const archived = await openArchive(config, db).localCopy(file);
      const head = await readHeader(archived, name);
      const header = 'header' in head ? head.header : undefined;
      const createdAt = header?.createdAt ?? systemClock();
      return {
        registration: {
          source: header?.senderPartyId ?? request.source ?? UNKNOWN_SENDER,
          entity: 'ddex',
          kind: 'ddex',
          country: 'WW',
          feedDate: createdAt.toISOString().slice(0, 10),
          // The SLA clock starts on delivery (the drop directory's completion marker, or
          // --published-at), not at MessageCreatedDateTime: that orders messages, and a label may
          // resend one created days ago.
          publishedAt: request.publishedAt ?? systemClock(),
          versionBase: versionBase(createdAt, 'ddex'),
          meta: header ? { sender: header.senderPartyId, messageId: header.messageId, messageThreadId: header.messageThreadId ?? null, recipient: header.recipientPartyId ?? null, messageType: header.messageType, schemaVersion: header.schemaVersion } : {},
        },
        logFields: header ? { sender: header.senderPartyId, messageId: header.messageId, messageType: header.messageType } : {},
        async read(run, { log }) {
          if ('problem' in head) throw new DdexRejectedError(head.problem);
          try {
            const now = ctx.now?.() ?? (await databaseNow(db.orm));
            const items = skipHeader(readDdexMessage(await openFeed(archived, { name, maxInflatedBytes: config.maxInflatedBytes }), name, { recipientPartyId: config.ddexRecipientPartyId }));
            // Between transactions: the heartbeat tells other processes the run is alive.
            const totals = await applyDdexMessage(db.orm, { runId: run.id, file: name, header: head.header, versionBase: run.versionBase }, items, now, () => heartbeat(db.orm, run.id));
            // The items quarantined are changes the message states too, counted from their
            // records, so a resumed run counts those of its first pass (docs/design.md invariant 10).
            const [finished] = await db.orm.transaction(async (tx) => {
              const quarantined = await countQuarantined(tx, run.id);
              const { inserted, updated, takenDown, unchanged } = totals;
              return finishRuns(tx, [{
                runId: run.id, counts: { rows: totals.rows + quarantined, inserted, updated, takenDown, unchanged, quarantined },
                meta: { releases: totals.releases, purges: totals.purges, stale: totals.stale, scheduled: totals.scheduled },
              }]);
            });
            if (finished) logRunFinish(log, finished);
            return 'applied';
          } catch (err) {
            // A gzip that does not inflate has no place in the XML: malformed at line 0.
            if (!(err instanceof FeedRejectedError) || err instanceof DdexRejectedError) throw err;
            throw new DdexRejectedError({ file: name, line: 0, column: 0, reason: 'malformed_xml', detail: err.reason }, { cause: err });
          }
        },
      };
    },
  };
}

async function* skipHeader(items: AsyncGenerator<DdexParsedItem>): AsyncGenerator<DdexParsedItem> {
  for await (const item of items) if (item.type !== 'header') yield item;
}
