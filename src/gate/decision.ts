// The playback rule (README "Playback gate"): a track may be streamed in a country now when
// its row for that country (or, without one, its worldwide row) is live and in force now,
// and every release it is streamed under that is known to us is live there too. Pure: the
// facts come from the catalogue tables, read generically by (source, country, id), so CSV,
// DDEX and any later source that writes those tables are decided alike.
import type { ItemFacts, TrackFacts } from '../db/gate.js';

/** The reason words of a refusal, the same in the API and the CLI. */
export const REFUSALS = ['taken_down', 'not_licensed_in_territory', 'not_yet_available', 'release_taken_down', 'unknown_track', 'unknown_country'] as const;
export type Refusal = (typeof REFUSALS)[number];

export type Decision = { playable: true } | { playable: false; reason: Refusal };

export const WORLDWIDE = 'WW';

/** Takedown reasons (src/apply/availability.ts) that mean "never licensed here". */
const NOT_LICENSED = new Set(['territory_not_licensed', 'no_streaming_use', 'other_distribution_channel']);
const NOT_STARTED = 'deal_not_started';

/** Region codes Intl knows that are not countries, and aliases of real codes. */
const NOT_COUNTRIES = new Set(['EU', 'EZ', 'UN', 'QO', 'ZZ', 'UK']);
const regionNames = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });

/** Two upper-case letters make at most 676 codes: the ICU lookup is done once per code. */
const countryCodes = new Map<string, boolean>();

/** An assigned ISO 3166-1 alpha-2 country code, upper case. */
export function isCountry(code: string): boolean {
  if (!/^[A-Z]{2}$/.test(code)) return false;
  let known = countryCodes.get(code);
  if (known === undefined) countryCodes.set(code, (known = !NOT_COUNTRIES.has(code) && regionNames.of(code) !== code));
  return known;
}

export function decide(facts: TrackFacts | undefined, country: string, now: Date): Decision {
  if (!isCountry(country)) return refuse('unknown_country');
  if (!facts || facts.track.rows.size === 0) return refuse('unknown_track');
  const track = stateIn(facts.track, country, now);
  if (!track) return refuse('not_licensed_in_territory');
  if (track.status !== 'live') {
    if (track.reason === NOT_STARTED) return refuse('not_yet_available');
    return refuse(NOT_LICENSED.has(track.reason ?? '') ? 'not_licensed_in_territory' : 'taken_down');
  }
  if (track.availableFrom && track.availableFrom > now) return refuse('not_yet_available');
  for (const release of facts.releases.values()) {
    // A release without a row here (or worldwide) is not known to us in this country.
    const state = stateIn(release, country, now);
    if (!state || state.status === 'live') continue;
    return refuse(state.reason === NOT_STARTED ? 'not_yet_available' : 'release_taken_down');
  }
  return { playable: true };
}

interface EffectiveState {
  status: string;
  reason: string | null;
  availableFrom: Date | null;
}

/**
 * The row for the country, else the worldwide row, as it stands at `now`: a deal start or
 * end that has come due but that `ddex-due` has not applied yet already counts, as long as
 * the row still carries the version that scheduled it (a newer message supersedes it).
 */
function stateIn(item: ItemFacts, country: string, now: Date): EffectiveState | undefined {
  const territory = item.rows.has(country) ? country : WORLDWIDE;
  const row = item.rows.get(territory);
  if (!row) return undefined;
  let state: EffectiveState = { status: row.status, reason: row.takedownReason, availableFrom: row.availableFrom };
  for (const change of item.scheduled.get(territory) ?? []) {
    if (change.dueAt > now || change.changeVersion !== row.changeVersion) continue;
    state = { status: change.targetStatus, reason: change.targetStatus === 'live' ? null : change.reason, availableFrom: row.availableFrom };
  }
  return state;
}

function refuse(reason: Refusal): Decision {
  return { playable: false, reason };
}
