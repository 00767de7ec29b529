// Alert subjects, built and read back here only. A subject names the thing an alert is about
// (a run, a feed, a batch of plays), so every part raising an alert about the same thing (the
// sweep, the timers, the scheduler, the workers) deduplicates against the same `alerts` row.
// Feeds are named two ways, both here: a slug in subjects and logs, a label in messages.

export interface FeedKey {
  source?: string;
  entity: string;
  kind: string;
  country: string;
}

/** `entity-kind-country[-date]`: a feed in subjects, log fields and job names. */
export function feedSlug(feed: FeedKey, date?: string): string {
  return `${feed.entity}-${feed.kind}-${feed.country}${date ? `-${date}` : ''}`;
}

/** `country entity kind [date]`: a feed (or one run of it) in alert messages and details. */
export function feedLabel(feed: FeedKey & { feedDate?: string }): string {
  return `${feed.country} ${feed.entity} ${feed.kind}${feed.feedDate ? ` ${feed.feedDate}` : ''}`;
}

/** The feed a label names (`feedLabel` read back); undefined when it is not one. */
export function parseFeedLabel(label: string): (FeedKey & { feedDate?: string }) | undefined {
  const [country, entity, kind, feedDate, ...rest] = label.split(' ');
  if (!country || !entity || !kind || rest.length > 0) return undefined;
  return { country, entity, kind, ...(feedDate ? { feedDate } : {}) };
}

/** Subjects about one run: the prefix, then the run id. */
const RUN_PREFIXES = {
  runSla: 'sla-run-',
  rejected: 'rejected-run-',
  batchFailed: 'batch-failed-run-',
  quarantine: 'quarantine-run-',
  possibleTakedown: 'possible-takedown-run-',
  counts: 'counts-run-',
  reconcile: 'reconcile-run-',
  /** A run applied past its deadline (src/sla/late.ts): open until acknowledged. */
  lateRun: 'sla-late-',
} as const;

/** Subjects about one feed: the prefix, then its slug. */
const FEED_PREFIXES = {
  auth: 'feed-auth-',
  backlog: 'backlog-',
  missing: 'feed-missing-',
} as const;

const PLAYS_REJECTED_PREFIX = 'plays:rejected:';

export type RunSubject = keyof typeof RUN_PREFIXES;
export type FeedSubject = keyof typeof FEED_PREFIXES;

const runSubject = (about: RunSubject) => (runId: number) => `${RUN_PREFIXES[about]}${runId}`;
const feedSubject = (about: FeedSubject) => (feed: FeedKey) => `${FEED_PREFIXES[about]}${feedSlug(feed)}`;

export const alertSubject = {
  runSla: runSubject('runSla'),
  rejected: runSubject('rejected'),
  batchFailed: runSubject('batchFailed'),
  quarantine: runSubject('quarantine'),
  possibleTakedown: runSubject('possibleTakedown'),
  counts: runSubject('counts'),
  reconcile: runSubject('reconcile'),
  lateRun: runSubject('lateRun'),
  auth: feedSubject('auth'),
  backlog: feedSubject('backlog'),
  missing: feedSubject('missing'),
  /** Refused plays, named by the first play refused. */
  playsRejected: (firstPlayId: number) => `${PLAYS_REJECTED_PREFIX}${firstPlayId}`,
} as const;

/** What `runSla` puts before the run id, for a query that joins subjects to runs. */
export const RUN_SLA_SUBJECT_PREFIX = RUN_PREFIXES.runSla;

/** What `lateRun` puts before the run id. */
export const LATE_RUN_SUBJECT_PREFIX = RUN_PREFIXES.lateRun;

export type ParsedSubject =
  | { about: RunSubject; runId: number }
  | { about: FeedSubject; feedSlug: string }
  | { about: 'playsRejected'; firstPlayId: number };

/** A subject read back into what it is about; undefined for a subject feedline does not build. */
export function parseSubject(subject: string): ParsedSubject | undefined {
  // Longest prefix first: `possible-takedown-run-` must not be read as another kind.
  const runKinds = (Object.keys(RUN_PREFIXES) as RunSubject[]).sort((a, b) => RUN_PREFIXES[b].length - RUN_PREFIXES[a].length);
  for (const about of runKinds) {
    const rest = subject.startsWith(RUN_PREFIXES[about]) ? subject.slice(RUN_PREFIXES[about].length) : undefined;
    if (rest !== undefined && /^\d+$/.test(rest)) return { about, runId: Number(rest) };
  }
  for (const about of Object.keys(FEED_PREFIXES) as FeedSubject[]) {
    if (subject.startsWith(FEED_PREFIXES[about])) return { about, feedSlug: subject.slice(FEED_PREFIXES[about].length) };
  }
  if (subject.startsWith(PLAYS_REJECTED_PREFIX)) {
    const id = subject.slice(PLAYS_REJECTED_PREFIX.length);
    if (/^\d+$/.test(id)) return { about: 'playsRejected', firstPlayId: Number(id) };
  }
  return undefined;
}

/**
 * The feed an open alert is about, from its details: feed alerts carry entity, kind and
 * country; run alerts carry the run's `feedLabel` as `feed`.
 */
export function alertFeed(details: Record<string, unknown>): FeedKey | undefined {
  const { entity, kind, country, feed } = details;
  if (typeof entity === 'string' && typeof kind === 'string' && typeof country === 'string') return { entity, kind, country };
  const parsed = typeof feed === 'string' ? parseFeedLabel(feed) : undefined;
  return parsed && { entity: parsed.entity, kind: parsed.kind, country: parsed.country };
}
