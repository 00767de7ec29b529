// The gate's notification channel: PostgreSQL LISTEN on the channel the catalogue triggers
// notify (schema/migrations, "feedline_gate_notify"), with an in-band heartbeat. A listen
// connection can die without telling anyone, so every gate pings the channel itself; while
// no notification (a ping or a change) has arrived for STALE_AFTER_MS the channel counts as
// lost and the view answers from PostgreSQL, and once it is back the view starts empty,
// because invalidations sent in the gap were missed.
import { listenToChannel } from '../db/notify.js';
import type { Logger } from '../log.js';
import { startPeriodic } from '../periodic.js';
import { systemClock } from '../clock.js';

export const CATALOGUE_CHANNEL = 'feedline_catalogue';
const PING = 'ping';
/** Heartbeat period; with STALE_AFTER_MS this bounds how long a lost channel goes unnoticed. */
const PING_INTERVAL_MS = 250;
/** Comfortably under the 2 s takedown-to-refusal bound, above event-loop pauses under load. */
const STALE_AFTER_MS = 1_000;

export interface ChangeListener {
  /** A line per changed item ("entity<US>source<US>id"), or "*". */
  onChange(keys: string[]): void;
  /** The channel was lost or has come back: forget everything. */
  onReset(): void;
}

export interface NotificationChannel {
  healthy(): boolean;
  close(): Promise<void>;
}

export async function listenForChanges(databaseUrl: string, listener: ChangeListener, logger: Logger, now: () => number = () => systemClock().getTime()): Promise<NotificationChannel> {
  let lastHeardAt = 0;
  let wasHealthy = false;
  const healthy = () => now() - lastHeardAt < STALE_AFTER_MS;
  const noteHealth = () => {
    const isHealthy = healthy();
    if (isHealthy !== wasHealthy) {
      wasHealthy = isHealthy;
      listener.onReset();
      if (isHealthy) logger.info('catalogue notifications flowing: answering from the in-memory view');
      else logger.warn('catalogue notifications lost: answering from PostgreSQL until they are back');
    }
  };
  let subscribed = false;
  const connection = await listenToChannel(databaseUrl, CATALOGUE_CHANNEL, (payload) => {
    lastHeardAt = now();
    noteHealth();
    if (payload !== PING) listener.onChange(payload.split('\n'));
  }, () => {
    // postgres.js listens again by itself after a lost connection, often faster than the
    // heartbeat notices: whatever was notified in between is lost, so start again empty.
    if (subscribed) {
      logger.warn('catalogue notifications resubscribed after a lost connection: view emptied');
      listener.onReset();
    }
    subscribed = true;
  });
  const heartbeat = startPeriodic({
    name: 'catalogue notification heartbeat',
    schedule: { everyMs: PING_INTERVAL_MS },
    run: async () => {
      connection.notify(PING);
      noteHealth();
    },
    logger,
    unref: true,
  });
  return {
    healthy,
    async close() {
      await heartbeat.stop();
      await connection.close();
    },
  };
}
