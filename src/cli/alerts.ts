import { acknowledgeAlert } from '../db/acks.js';
import { openAlerts, type OpenAlert } from '../db/sla.js';
import { NotFoundError, UsageError } from '../errors.js';
import { createAlerter } from '../sla/alerts.js';
import { parseSubject } from '../sla/subjects.js';
import { parseCommand } from './args.js';
import type { Command } from './command.js';
import { printHelp, table } from './output.js';
import { openRuntime } from './runtime.js';

export function alertJson(a: OpenAlert) {
  return {
    subject: a.subject, kind: a.kind, state: a.state, message: a.message, openedAt: a.openedAt.toISOString(), details: a.details,
    acknowledged: a.acknowledged && { by: a.acknowledged.by, note: a.acknowledged.note, at: a.acknowledged.at.toISOString() },
  };
}

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'List open alerts; acknowledge one (ack SUBJECT --by NAME)',
  help: `Usage: feedline alerts [--json]
       feedline alerts ack SUBJECT --by NAME [--note TEXT]

Without arguments: every open alert (warning or breach) with its subject, kind, since when,
message and who acknowledged it.

ack SUBJECT: acknowledge the open alert SUBJECT (the first column of the list). It stays
open and visible, on the SLA page and in /metrics (feedline_open_alerts{acknowledged="true"}),
but is not announced again while it stays open: an escalation from warning to breach is
recorded, not sent to the webhooks. If it resolves and opens again, it is news again.
A quarantine warning is acknowledged away: it resolves at once, without waiting for the
next run of its feed. So is a run applied past its deadline (sla-late-N): the breach stays
in the history, the SLA page's recent breaches and /metrics.

Options:
  --json         the list as JSON: [{ subject, kind, state, message, openedAt, details, acknowledged }]
  --by NAME      who acknowledges (required with ack)
  --note TEXT    why, or what is being done

Exit codes: 0 ok; 2 usage; 4 no open alert with that subject; 5 database unreachable.`,
  async run(argv, ctx) {
    const { values, positionals } = parseCommand('alerts', argv, { json: { type: 'boolean' }, by: { type: 'string' }, note: { type: 'string' } }, { min: 0, max: 2 });
    if (values.help) return printHelp(ctx, this.help);
    const [action, subject] = positionals;
    if (action !== undefined && action !== 'ack') throw new UsageError(`unknown action ${JSON.stringify(action)}; did you mean: feedline alerts ack SUBJECT --by NAME`);
    if (action === 'ack' && (!subject || !values.by?.trim())) throw new UsageError('ack needs the alert SUBJECT and --by NAME: feedline alerts ack SUBJECT --by NAME [--note TEXT]');
    if (action === undefined && (values.by !== undefined || values.note !== undefined)) throw new UsageError('--by and --note go with ack: feedline alerts ack SUBJECT --by NAME');
    const runtime = await openRuntime(ctx.config, ctx.logger, { redis: 'never' });
    try {
      if (action === 'ack') {
        const by = values.by!.trim();
        const acked = await acknowledgeAlert(runtime.db.orm, { subject: subject!, by, note: values.note });
        if (!acked) throw new NotFoundError(`no open alert with subject ${JSON.stringify(subject)}; see feedline alerts`);
        // Nothing more can happen to these but being seen: the acknowledgement closes them.
        const closes = acked.kind === 'quarantine' || parseSubject(acked.subject)?.about === 'lateRun';
        if (closes) {
          const alerter = createAlerter({ db: runtime.db, logger: ctx.logger, webhooks: ctx.config.webhooks });
          await alerter.resolve(acked.subject, `acknowledged by ${by}${values.note ? `: ${values.note}` : ''}`);
          await alerter.idle();
        }
        ctx.logger.info({ subject: acked.subject, by }, 'alert acknowledged');
        if (values.json) ctx.out.json({ subject: acked.subject, kind: acked.kind, acknowledgedBy: by, note: values.note ?? null, resolved: closes });
        else ctx.out.line(closes
          ? `acknowledged ${acked.subject} (${acked.kind === 'quarantine' ? 'quarantine warning' : 'applied past its deadline'}): resolved`
          : `acknowledged ${acked.subject} (${acked.state}, ${acked.kind}): stays open, not announced again while open`);
        return 0;
      }
      const alerts = await openAlerts(runtime.db.orm);
      if (values.json) ctx.out.json(alerts.map(alertJson));
      else if (alerts.length === 0) ctx.out.line('No open alerts.');
      else {
        ctx.out.line(table(alerts.map((a) => ({
          subject: a.subject, state: a.state, kind: a.kind, since: a.openedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          acknowledged: a.acknowledged ? `${a.acknowledged.by}${a.acknowledged.note ? `: ${a.acknowledged.note}` : ''}` : 'no',
          message: a.message,
        })), ['subject', 'state', 'kind', 'since', 'acknowledged', 'message']));
      }
      return 0;
    } finally {
      await runtime.close();
    }
  },
};
