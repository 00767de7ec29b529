// How a run's changes add up, for every kind of run (docs/design.md invariant 10). `rows` is
// the changes the run states: a CSV file's records, the catalogue rows (item x territory) a
// DDEX message states plus its items quarantined, the catalogue rows a Catalogue Event states,
// and a full feed's reconcile takedowns on top of its records. Each is inserted, updated, taken
// down, left unchanged by the version guard, or quarantined: exactly one of them.

/** What became of a run's changes. */
export interface ChangeCounts {
  inserted: number;
  updated: number;
  takenDown: number;
  unchanged: number;
  quarantined: number;
}

/** A run's stated changes (`rows`) and what became of them. */
export interface RunCounts extends ChangeCounts {
  rows: number;
}

/** The changes accounted for: each counted once, whatever became of it. */
export function accountedFor(counts: ChangeCounts): number {
  return counts.inserted + counts.updated + counts.takenDown + counts.unchanged + counts.quarantined;
}

/** Counts whose stated rows are exactly those accounted for (a run that states only what it did). */
export function statedAsCounted(counts: ChangeCounts): RunCounts {
  return { ...counts, rows: accountedFor(counts) };
}

/** Why run `runId`'s counts do not add up, or undefined when they do. */
export function unaccounted(runId: number, counts: RunCounts): string | undefined {
  const sum = accountedFor(counts);
  if (counts.rows === sum) return undefined;
  return `changes not accounted for: run ${runId} states ${counts.rows} rows, but ${counts.inserted} inserted + ${counts.updated} updated + `
    + `${counts.takenDown} taken down + ${counts.unchanged} unchanged + ${counts.quarantined} quarantined = ${sum}`;
}
