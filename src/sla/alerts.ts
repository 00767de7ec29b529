// Alerts: a subject (a run, a missing feed) enters a state once, and everyone hears about
// it once. PostgreSQL decides whether a state is new (the `alerts` row is the current
// state, `alert_events` the history), so any number of sweeps, timers and schedulers may
// raise the same alert every tick and only the first one goes out (issue 4 "Alerts").
// Delivery is a pino line plus a JSON POST to every webhook, fire-and-forget: a slow or
// broken webhook never holds up the pipeline that raised the alert.
import type { Clock } from '../clock.js';
import type { Config } from '../config/schema.js';
import { isAcknowledged } from '../db/acks.js';
import { enterAlertState, resolveAlertState } from '../db/alerts.js';
import type { Database } from '../db/client.js';
import type { AlertState } from '../catalogue/statuses.js';
import type { Logger } from '../log.js';

export type AlertKind = 'sla' | 'missing' | 'rejected' | 'quarantine' | 'batch_failed' | 'auth' | 'reconcile' | 'backlog' | 'play_rejected';

export interface AlertInput {
  subject: string;
  kind: AlertKind;
  state: Exclude<AlertState, 'resolved'>;
  message: string;
  details?: Record<string, unknown>;
}

export interface Alerter {
  /** Enters a state for a subject; returns true when the state changed (an alert went out). */
  raise(alert: AlertInput): Promise<boolean>;
  /** Clears a subject; true when it was open. */
  resolve(subject: string, message: string): Promise<boolean>;
}

/** The alerter as built here: also lets a caller wait for webhook deliveries in flight. */
export interface WebhookAlerter extends Alerter {
  /** Resolves when every webhook delivery started so far has succeeded or given up. */
  idle(): Promise<void>;
}

/** One alert as it is delivered: the log line's fields and the webhook's JSON body. */
export interface AlertNotice {
  subject: string;
  kind: string;
  state: AlertState;
  message: string;
  details: Record<string, unknown>;
  at: string;
}

export interface AlerterDeps {
  db: Database;
  logger: Logger;
  webhooks: Config['webhooks'];
  /** Stamps alerts; without it, the database's now(). */
  now?: Clock;
  /**
   * Pauses before each retry of a failed webhook POST. Three tries over about ten seconds
   * ride out a receiver restarting without piling deliveries up behind a dead one.
   */
  retryDelaysMs?: readonly number[];
}

const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000] as const;

export function createAlerter(deps: AlerterDeps): WebhookAlerter {
  const { db, webhooks } = deps;
  const log = deps.logger.child({ component: 'alerts' });
  const retryDelays = deps.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
  const inFlight = new Set<Promise<void>>();
  const tails = new Map<string, Promise<void>>();
  const stamp = () => (deps.now ? deps.now().toISOString() : null);

  const announce = (notice: AlertNotice) => {
    const fields = { alert: { subject: notice.subject, kind: notice.kind, state: notice.state, details: notice.details } };
    if (notice.state === 'breach') log.error(fields, notice.message);
    else if (notice.state === 'warning') log.warn(fields, notice.message);
    else log.info(fields, notice.message);
    for (const url of webhooks.urls) {
      // One subject's alerts reach a webhook in the order they happened: a breach waits for
      // the warning before it (retries included), or a receiver would see them swapped.
      const key = `${notice.subject}\n${url}`;
      const delivery: Promise<void> = (tails.get(key) ?? Promise.resolve())
        .then(() => deliver(url, notice, { timeoutMs: webhooks.timeoutMs, retryDelays, log }))
        .finally(() => {
          inFlight.delete(delivery);
          if (tails.get(key) === delivery) tails.delete(key);
        });
      tails.set(key, delivery);
      inFlight.add(delivery);
    }
  };

  return {
    async raise(alert) {
      const details = alert.details ?? {};
      // One statement decides and records: a concurrent raise of the same state finds the
      // row already in it and changes nothing, so exactly one caller sees `true`. A lower
      // state than the open one (warning while in breach) is not a change either.
      const entered = await enterAlertState(db.orm, { ...alert, details }, stamp());
      if (!entered) return false;
      // An acknowledged alert that escalates is on record (alert_events) but not news.
      if (await isAcknowledged(db.orm, alert.subject)) {
        log.info({ alert: { subject: alert.subject, kind: alert.kind, state: alert.state }, acknowledged: true }, `${alert.message} (acknowledged; not announced)`);
        return true;
      }
      announce({ subject: alert.subject, kind: alert.kind, state: alert.state, message: alert.message, details, at: entered.at.toISOString() });
      return true;
    },

    async resolve(subject, message) {
      const cleared = await resolveAlertState(db.orm, subject, message, stamp());
      if (!cleared) return false;
      announce({ subject, kind: cleared.kind, state: 'resolved', message, details: cleared.details, at: cleared.at.toISOString() });
      return true;
    },

    async idle() {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

const ICON: Record<AlertState, string> = { warning: ':warning:', breach: ':rotating_light:', resolved: ':white_check_mark:' };

/** The JSON a webhook receives: Slack's `text`, plus the alert's fields for machines. */
export function webhookBody(notice: AlertNotice): Record<string, unknown> {
  return {
    text: `${ICON[notice.state]} feedline ${notice.state.toUpperCase()} [${notice.kind}] ${notice.subject}: ${notice.message}`,
    source: 'feedline',
    ...notice,
  };
}

/**
 * Webhook URLs are secrets (a Slack incoming-webhook URL is its own credential), so logs
 * name only the host.
 */
export function webhookHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '(invalid url)';
  }
}

async function deliver(url: string, notice: AlertNotice, options: { timeoutMs: number; retryDelays: readonly number[]; log: Logger }): Promise<void> {
  const host = webhookHost(url);
  const body = JSON.stringify(webhookBody(notice));
  const attempts = options.retryDelays.length + 1;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    let retryable = true;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      // Drain the body so the connection is released either way.
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) {
        options.log.debug({ webhook: host, subject: notice.subject, state: notice.state, attempt }, 'alert delivered');
        return;
      }
      reason = `HTTP ${response.status}`;
      // A 4xx other than 429 says the request itself is wrong: sending it again won't help.
      retryable = response.status >= 500 || response.status === 429 || response.status === 408;
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      reason = e.name === 'TimeoutError' ? `no answer in ${options.timeoutMs} ms` : (e.cause?.code ?? e.message);
    }
    if (!retryable || attempt >= attempts) {
      options.log.error({ webhook: host, subject: notice.subject, state: notice.state, attempts: attempt, reason }, 'alert webhook failed; giving up');
      return;
    }
    options.log.warn({ webhook: host, subject: notice.subject, state: notice.state, attempt, reason }, 'alert webhook failed; retrying');
    await new Promise((resolve) => setTimeout(resolve, options.retryDelays[attempt - 1]));
  }
}
