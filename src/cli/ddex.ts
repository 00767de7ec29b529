import path from 'node:path';
import { listDdexAcks, type DdexAckListed } from '../db/ddex-acks.js';
import { UsageError } from '../errors.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp, table } from './output.js';
import { openRuntime } from './runtime.js';

export function ackJson(a: DdexAckListed) {
  return {
    batchDir: a.batchDir, batchId: a.batchId, messageFile: a.messageFile, messageId: a.messageId, sender: a.source, runId: a.runId,
    status: a.outcome, ackFile: a.ackPath, ackMessageId: a.ackMessageId, claimedAt: a.createdAt.toISOString(),
    writtenAt: a.writtenAt?.toISOString() ?? null,
  };
}

export const ddexCommand: Command = {
  name: 'ddex',
  summary: 'DDEX deliveries: the acknowledgements sent back to senders (acks [--batch DIR])',
  help: `Usage: feedline ddex acks [--batch DIR] [--json]

acks: every acknowledgement (ACK_*.xml) written for a message of a DDEX batch, newest
first: the batch, the message file and its MessageId, the sender, the status told
(applied, applied_with_warnings, quarantined, rejected), the file, and when it was written
(when the sender was told). "pending" in the written column: claimed but not yet in place
(a process stopped between the two); processing the batch again writes it.

Options:
  --batch DIR    only the acknowledgements of that batch folder
  --json         [{ batchDir, batchId, messageFile, messageId, sender, runId, status, ackFile,
                   ackMessageId, claimedAt, writtenAt }]

Exit codes: 0 ok; 2 usage; 5 database unreachable.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('ddex', argv, { batch: { type: 'string' }, json: { type: 'boolean' } }, { min: 0, max: 1 });
    if (values.help) return printHelp(ctx, this.help);
    if (positionals[0] !== 'acks') throw new UsageError(`unknown action ${JSON.stringify(positionals[0] ?? '')}; usage: feedline ddex acks [--batch DIR] [--json]`);
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      const acks = await listDdexAcks(runtime.db.orm, values.batch === undefined ? {} : { batchDir: path.resolve(values.batch) });
      if (values.json) ctx.out.json(acks.map(ackJson));
      else if (acks.length === 0) ctx.out.line('No DDEX acknowledgements.');
      else {
        ctx.out.line(table(acks.map((a) => ({
          batch: a.batchId, message: a.messageFile, messageId: a.messageId, sender: a.source, status: a.outcome,
          written: a.writtenAt ? a.writtenAt.toISOString().replace(/\.\d{3}Z$/, 'Z') : 'pending', file: path.basename(a.ackPath),
        })), ['batch', 'message', 'messageId', 'sender', 'status', 'written', 'file']));
      }
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
