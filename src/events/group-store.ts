// Group commit for the receiver's inbox stores (README "Catalogue Events"): requests that
// arrive while a store is in flight wait for it, then the next store takes all of them in one
// transaction and one commit (src/db/events.ts storeEventGroup), so at the provider's peak a
// commit's fsync is paid once per group, not once per request. Nothing waits when the store is
// idle; a group is capped in items. Each request hears its own outcomes only after the commit;
// a group that fails fails every request in it, and none of it is acknowledged. A request
// whose answer is no longer awaited (503 sent) leaves the queue before its group forms, so a
// PostgreSQL that does not answer holds no more bodies than arrive within the store timeout.
import type { Orm } from '../db/client.js';
import { storeEventGroup, storeEvents, storeRejected, type IncomingItem, type IncomingRequest, type RejectedEvent, type StoreOutcome } from '../db/events.js';

/** A request to store: its acknowledgement time is read when its group's store starts. */
export type StoreRequest = Omit<IncomingRequest, 'ackMs'> & { ackMs: () => number };

/** Where accepted and refused bodies are recorded (src/events/accept.ts). */
export interface InboxWriter {
  /** `signal` aborted: not stored if its store has not started yet (it is rejected instead). */
  store(request: StoreRequest, items: readonly IncomingItem[], signal?: AbortSignal): Promise<StoreOutcome[]>;
  reject(event: RejectedEvent): Promise<void>;
}

/** Each body in its own transaction: `feedline events import`, one body after another. */
export function directInbox(db: Orm): InboxWriter {
  return {
    store: (request, items) => storeEvents(db, { ...request, ackMs: request.ackMs() }, items),
    reject: (event) => storeRejected(db, event),
  };
}

export interface GroupCommitOptions {
  /** Items, and their bytes, in one group at most; a request larger than either goes alone. */
  maxItems: number;
  maxBytes: number;
  /** The inbox ids a group stored for apply, after its commit (one hand-off per group). */
  onStored?: (ids: number[]) => void;
}

export interface GroupCommitInbox extends InboxWriter {
  /** Groups stored (committed or failed) and the requests they carried. */
  readonly stats: { groups: number; requests: number };
}

interface Waiting {
  request: StoreRequest;
  items: readonly IncomingItem[];
  resolve(outcomes: StoreOutcome[]): void;
  reject(err: unknown): void;
}

export function groupCommitInbox(db: Orm, options: GroupCommitOptions): GroupCommitInbox {
  const stats = { groups: 0, requests: 0 };
  const waiting: Waiting[] = [];
  let storing = false;

  /** The longest run of waiting requests within the caps (at least one). */
  const nextGroup = (): Waiting[] => {
    let items = 0;
    let bytes = 0;
    let taken = 0;
    for (; taken < waiting.length; taken++) {
      const next = waiting[taken]!.items;
      const nextBytes = next.reduce((sum, item) => sum + item.bytes, 0);
      if (taken > 0 && (items + next.length > options.maxItems || bytes + nextBytes > options.maxBytes)) break;
      items += next.length;
      bytes += nextBytes;
    }
    return waiting.splice(0, taken);
  };

  const storeNext = async (): Promise<void> => {
    storing = true;
    while (waiting.length > 0) {
      const group = nextGroup();
      stats.groups++;
      stats.requests += group.length;
      try {
        const outcomes = await storeEventGroup(db, group.map((w) => ({ request: { ...w.request, ackMs: w.request.ackMs() }, items: w.items })));
        group.forEach((w, i) => w.resolve(outcomes[i]!));
        const stored = outcomes.flat().flatMap((o) => (o.outcome === 'stored' ? [o.id] : []));
        // After the answers are written: handing over never delays an acknowledgement.
        if (stored.length > 0 && options.onStored) setImmediate(options.onStored, stored);
      } catch (err) {
        for (const w of group) w.reject(err);
      }
    }
    storing = false;
  };

  return {
    stats,
    store(request, items, signal) {
      return new Promise<StoreOutcome[]>((resolve, reject) => {
        const entry: Waiting = { request, items, resolve, reject };
        waiting.push(entry);
        signal?.addEventListener('abort', () => {
          const at = waiting.indexOf(entry);
          if (at < 0) return;
          waiting.splice(at, 1);
          reject(signal.reason);
        }, { once: true });
        if (!storing) void storeNext();
      });
    },
    reject: (event) => storeRejected(db, event),
  };
}
