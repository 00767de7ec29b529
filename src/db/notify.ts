// PostgreSQL LISTEN/NOTIFY for the gate's notification channel (gate/notifications.ts): one
// dedicated connection, opened through connectPostgres so a refused or unreachable server is
// the same clear error as anywhere else.
import { connectPostgres } from './client.js';

export interface ListenConnection {
  /** Sends `payload` on the channel; a failure is swallowed, since the listener notices silence. */
  notify(payload: string): void;
  close(): Promise<void>;
}

/**
 * Listens on `channel`: `onPayload` gets each notification, `onListen` runs each time the
 * listen is (re)established, including after a lost connection postgres.js re-listened by itself.
 */
export async function listenToChannel(databaseUrl: string, channel: string, onPayload: (payload: string) => void, onListen: () => void): Promise<ListenConnection> {
  const client = await connectPostgres(databaseUrl, 1);
  const subscription = await client.listen(channel, onPayload, onListen);
  return {
    notify(payload) {
      client`select pg_notify(${channel}, ${payload})`.catch(() => undefined);
    },
    async close() {
      await subscription.unlisten().catch(() => undefined);
      await client.end({ timeout: 2 });
    },
  };
}
