// Job payloads the queue alone defines, and deterministic job ids. A batch's id is its run
// and position, so the same batch enqueued twice (a retry, a recovery, a second operator) is
// one job. A batch's payload is src/catalogue/batch.ts.

/** Catalogue Events stored in the inbox, applied together (src/events/dispatch.ts). */
export interface EventsJob {
  inboxIds: number[];
}

/** BullMQ job ids may not contain `:`. */
export function batchJobId(runId: number, seq: number): string {
  return `run-${runId}-batch-${seq}`;
}
