// Applies stored Catalogue Events to the catalogue under the provider's source, through the
// same version-guarded territory writes, availability rules and scheduling as DDEX
// (src/db/ddex.ts, src/apply/availability.ts). Enhanced Metadata attaches to a stored track.
//
// Many events per transaction, in rounds (README "Catalogue Events"): a round locks the open
// events it is given (skipping those another worker holds), keeps the first received of each
// item (release, or the track of an enhancement) and leaves the others to the next round, locks
// those items with advisory locks (so two workers never interleave on one release), reads
// their stored state once, plans every event in JS (src/events/apply-plan.ts) and writes them
// all with one statement per table, closing the events and their batches
// (src/db/events-apply.ts) and finishing their runs (finishRuns) for the whole round. The events of one item in a job so apply in arrival order, and a job ends
// exactly as applying its events one at a time did; the version guard makes any order and any
// repetition end in the newest snapshot. Each event keeps its own run and counts.
//
// A round the database refuses for its values (src/errors.ts isRefusedValue) is applied again
// one event at a time, and a refused event once more with the refusal (src/events/refused.ts):
// a snapshot that takes something down by its keys alone, any other rejected on its run.
import { systemClock, type Clock } from '../clock.js';
import type { Database, Orm } from '../db/client.js';
import { replaceRunSchedules, writeRunTerritories, type WriteCounts } from '../db/ddex.js';
import {
  closeEvents, lockEventItems, lockOpenEvents, markEvents, releasesRows, releasesTrackRows, storedTracks, upsertEnhancements,
  type EventClose, type EventMark,
} from '../db/events-apply.js';
import type { ApplyCounts, InboxEvent } from '../db/events.js';
import { finishRuns, logRunFinish, rejectRuns, type RunRejection } from '../db/runs.js';
import { statedAsCounted } from '../catalogue/run-counts.js';
import type { Logger } from '../log.js';
import { isRefusedValue, refusalOf } from '../errors.js';
import type { Alerter } from '../sla/alerts.js';
import { alertSubject } from '../sla/subjects.js';
import { listedTracks, planStandard, staleAgainst, touchedItems, WRITES, ZERO, type Plan, type Planned, type StoredState } from './apply-plan.js';
import { enhancedTags, readStandardItem, type StandardItem } from './model.js';
import { keysOrRefusal, recordTakedownWarnings } from './refused.js';

type Executor = Pick<Orm, 'execute'>;

export interface EventApplyOptions {
  source: string;
  /** How long an enhancement waits for its track before it is rejected (and alerts). */
  enhancedWaitSeconds: number;
  now?: Clock;
  /** Raises the alert of an event whose availability cannot be read or whose values the database refuses; without it, the SLA sweep alerts its rejected run later. */
  alerter?: Alerter;
  /** Where each event's finished run is logged (logRunFinish). */
  log?: Logger;
}

export type EventOutcome = 'applied' | 'stale' | 'waiting' | 'rejected' | 'skipped';

interface UnreadableEvent { inboxId: number; runId: number; reason: string }

interface Round {
  outcomes: Map<number, EventOutcome>;
  /** Locked but left for a later round: a later event of an item the round applied, or sharing a track with it. */
  later: number[];
  unreadable: UnreadableEvent[];
}

/**
 * Applies these inbox events in rounds until none is left open among them; each id's outcome,
 * `skipped` when another worker has it or it is done.
 */
export async function applyInboxEvents(db: Database, ids: readonly number[], options: EventApplyOptions): Promise<Map<number, EventOutcome>> {
  const outcomes = new Map<number, EventOutcome>();
  let remaining = [...ids];
  while (remaining.length > 0) {
    let round: Round;
    try {
      round = await db.orm.transaction((tx) => applyRound(tx, remaining, options));
    } catch (err) {
      if (!isRefusedValue(err)) throw err;
      // Nothing of the round was written: one at a time, only the refused event is held back.
      for (const id of remaining) outcomes.set(id, await applyInboxEvent(db, id, options));
      return outcomes;
    }
    for (const [id, outcome] of round.outcomes) outcomes.set(id, outcome);
    await raiseUnreadable(round.unreadable, options);
    remaining = round.later;
  }
  return outcomes;
}

/** Applies one inbox event if it is still open; `skipped` when another worker has it or it is done. */
export async function applyInboxEvent(db: Database, id: number, options: EventApplyOptions): Promise<EventOutcome> {
  let round: Round;
  try {
    round = await db.orm.transaction((tx) => applyRound(tx, [id], options));
  } catch (err) {
    const refused = refusalOf(err);
    if (refused === undefined) throw err;
    // Once more, a refused snapshot by its keys alone or rejected with the reason (src/events/refused.ts).
    round = await db.orm.transaction((tx) => applyRound(tx, [id], options, refused));
  }
  await raiseUnreadable(round.unreadable, options);
  return round.outcomes.get(id) ?? 'skipped';
}

function itemKey(event: InboxEvent, source: string): string {
  return `events:${event.endpoint}:${source}:${event.itemId}`;
}

/**
 * The first received open event of each item; the others wait for a later round, so two
 * events of one release in a job apply in the order they arrived, exactly as one at a time
 * would (a version older than the one applied before it is then stale).
 */
function firstPerItem(events: readonly InboxEvent[], source: string): { first: InboxEvent[]; later: InboxEvent[] } {
  const byItem = new Map<string, InboxEvent>();
  for (const event of events) if (!byItem.has(itemKey(event, source))) byItem.set(itemKey(event, source), event);
  const first = new Set(byItem.values());
  return { first: [...first], later: events.filter((e) => !first.has(e)) };
}

/** One round in one transaction; `refused`: the database's reason for refusing its only event the first time. */
async function applyRound(tx: Executor, ids: readonly number[], options: EventApplyOptions, refused?: string): Promise<Round> {
  const open = await lockOpenEvents(tx, ids);
  const outcomes = new Map<number, EventOutcome>(ids.map((id) => [id, 'skipped']));
  const { first, later } = firstPerItem(open, options.source);
  await lockEventItems(tx, first.map((e) => itemKey(e, options.source)));
  const now = (options.now ?? systemClock)();
  const round: Round = { outcomes, later: later.map((e) => e.id), unreadable: [] };
  const closes: EventClose[] = [];
  const rejections: RunRejection[] = [];
  const marks: EventMark[] = [];

  const standard = first.filter((e) => e.endpoint === 'standard').map((event) => {
    const body: unknown = JSON.parse(event.body);
    return { event, body, item: readStandardItem(body) };
  });
  const plans = await planRound(tx, standard, options.source, now, refused);
  const accepted = acceptDisjoint(plans.filter((p): p is Planned => 'outcome' in p));
  round.later.push(...accepted.later.map((p) => p.event.id));
  // Once per event, when it applies: a takedown's unstorable fields are warnings on its run.
  for (const { event, item, body } of standard) {
    if (item.kind === 'takedown' && accepted.plans.some((p) => p.event === event)) await recordTakedownWarnings(tx, event, body);
  }
  const counts = await writePlans(tx, options.source, accepted.plans);
  for (const plan of accepted.plans) {
    closes.push({ event: plan.event, status: plan.outcome, counts: sum(plan.base, counts.get(plan.event.runId)) });
  }
  for (const plan of plans) {
    if (!('unreadable' in plan)) continue;
    // The run's entity becomes `event` (as a refused request's is), so a later event of the
    // same day does not count as its fix and the alert stays open.
    marks.push({ id: plan.event.id, status: 'rejected', reason: plan.unreadable });
    rejections.push({ runId: plan.event.runId, reason: plan.unreadable, entity: 'event' });
    round.unreadable.push({ inboxId: plan.event.id, runId: plan.event.runId, reason: plan.unreadable });
  }

  // After the round's snapshots are written, so an enhancement finds a track they stored.
  const enhanced = first.filter((e) => e.endpoint === 'enhanced');
  const stored = await storedTracks(tx, options.source, enhanced.map((e) => e.itemId));
  const attachable = enhanced.filter((e) => stored.has(e.itemId));
  const written = await upsertEnhancements(tx, options.source, attachable.map((event) => ({
    trackId: event.itemId, version: event.version, data: enhancedTags(JSON.parse(event.body)), inboxId: event.id,
  })));
  for (const event of attachable) {
    closes.push(written.has(event.id)
      ? { event, status: 'applied', counts: { ...ZERO, updated: 1 } }
      : { event, status: 'stale', counts: { ...ZERO, unchanged: 1 } });
  }
  for (const event of enhanced.filter((e) => !stored.has(e.itemId))) {
    // Enhanced Metadata never makes structure or availability: it waits for its track.
    const giveUp = now.getTime() - event.receivedAt.getTime() > options.enhancedWaitSeconds * 1000;
    const reason = `track ${event.itemId} is not stored yet${giveUp ? ` after ${options.enhancedWaitSeconds} s` : ''}`;
    marks.push({ id: event.id, status: giveUp ? 'rejected' : 'waiting', reason });
    if (giveUp) rejections.push({ runId: event.runId, reason });
  }

  await finishEvents(tx, closes, options);
  await markEvents(tx, marks);
  await rejectRuns(tx, rejections);
  for (const close of closes) outcomes.set(close.event.id, close.status);
  for (const mark of marks) outcomes.set(mark.id, mark.status);
  for (const id of round.later) outcomes.delete(id);
  return round;
}

/**
 * Reads the stored state of the round's releases once, then plans each event from it; a
 * snapshot the database `refused` by its keys alone, or unreadable with the reason.
 */
async function planRound(tx: Executor, standard: readonly { event: InboxEvent; item: StandardItem }[], source: string, now: Date,
  refused?: string): Promise<Plan[]> {
  const releaseIds = standard.map((s) => s.event.itemId);
  const state: StoredState = {
    releases: await releasesRows(tx, source, releaseIds),
    releaseTracks: await releasesTrackRows(tx, source, releaseIds),
    storedTracks: new Set(),
  };
  const staleListed = standard.filter((s) => staleAgainst(s.event, state)).flatMap((s) => listedTracks(s.item));
  state.storedTracks = await storedTracks(tx, source, staleListed);
  if (refused === undefined) return standard.map(({ event, item }) => planStandard(event, item, state, now));
  const plans: Plan[] = [];
  for (const { event, item } of standard) {
    if (item.kind !== 'release') {
      plans.push(planStandard(event, item, state, now));
      continue;
    }
    const plan = await keysOrRefusal(tx, source, event, item.release, now, refused,
      async (_db, release) => planStandard(event, { kind: 'release', release }, state, now));
    plans.push('event' in plan ? plan : { event, unreadable: plan.unreadable });
  }
  return plans;
}

/**
 * The plans that write no item another one writes, in inbox order; PostgreSQL upserts a row
 * once per statement, and one at a time the later would have seen the earlier's rows.
 */
function acceptDisjoint(plans: readonly Planned[]): { plans: Planned[]; later: Planned[] } {
  const taken = new Set<string>();
  const accepted: Planned[] = [];
  const later: Planned[] = [];
  for (const plan of [...plans].sort((a, b) => a.event.id - b.event.id)) {
    const items = touchedItems(plan);
    if (items.some((item) => taken.has(item))) {
      later.push(plan);
      continue;
    }
    for (const item of items) taken.add(item);
    accepted.push(plan);
  }
  return { plans: accepted, later };
}

/** Every plan's rows, one statement per table and mode, then their schedules; the counts per run. */
async function writePlans(tx: Executor, source: string, plans: readonly Planned[]): Promise<Map<number, WriteCounts>> {
  const counts = new Map<number, WriteCounts>();
  for (const { entity, mode } of WRITES) {
    const rows = plans.flatMap((p) => p.rows[`${entity}-${mode}`]);
    const written = await writeRunTerritories(tx, { entity, source, line: 1, guard: 'newer', mode }, rows);
    for (const [runId, c] of written) counts.set(runId, sum(counts.get(runId) ?? ZERO, c));
  }
  for (const entity of ['release', 'track'] as const) await replaceRunSchedules(tx, entity, source, plans.flatMap((p) => p.schedules[entity]));
  return counts;
}

function sum(a: ApplyCounts, b: WriteCounts = ZERO): ApplyCounts {
  return { inserted: a.inserted + b.inserted, updated: a.updated + b.updated, takenDown: a.takenDown + b.takenDown, unchanged: a.unchanged + b.unchanged };
}

/**
 * Closes the events and finishes their runs in the round's transaction. Each run states every
 * catalogue row its event stated, each counted once by what became of it (applied, or
 * unchanged when stale), so its counts add up (finishRuns refuses them otherwise).
 */
async function finishEvents(tx: Executor, closes: readonly EventClose[], options: EventApplyOptions): Promise<void> {
  await closeEvents(tx, closes);
  const finished = await finishRuns(tx, closes.map(({ event, counts }) => ({ runId: event.runId, counts: statedAsCounted({ ...counts, quarantined: 0 }) })));
  if (options.log) for (const run of finished) logRunFinish(options.log, run);
}

async function raiseUnreadable(events: readonly UnreadableEvent[], options: EventApplyOptions): Promise<void> {
  if (!options.alerter) return;
  for (const { inboxId, runId, reason } of events) {
    await options.alerter.raise({
      subject: alertSubject.rejected(runId), kind: 'rejected', state: 'breach',
      message: `event ${inboxId} not applied (${reason}); the release keeps its previous state`,
      details: { inboxId, runId, reason },
    });
  }
}
