// A quarantined row that may be a takedown (its action unreadable, or a D whose key is
// invalid) is a takedown that may not have happened: it raises a breach at once, whatever
// the run's quarantined share (README "Bad input"). The ingest raises it when its parse ends;
// the SLA sweep raises the same subject (deduplicated by the alerts table) for runs parsed
// elsewhere, e.g. by recovery in a worker.
import type { Alerter } from './alerts.js';
import { alertSubject, feedLabel } from './subjects.js';

export interface PossibleTakedownRun {
  id: number;
  fileName: string;
  country: string;
  entity: string;
  kind: string;
  feedDate: string;
}

export async function alertPossibleTakedowns(alerter: Alerter, run: PossibleTakedownRun, count: number): Promise<boolean> {
  const feed = feedLabel(run);
  return alerter.raise({
    subject: alertSubject.possibleTakedown(run.id),
    kind: 'quarantine',
    state: 'breach',
    message: `run ${run.id} (${feed}): ${count} quarantined row(s) may be takedowns that did not apply (unreadable action, or D with an invalid key); see feedline quarantine ${run.id}`,
    details: { runId: run.id, feed, file: run.fileName, possibleTakedowns: count },
  });
}
