// Once the whole document has been read: each release completed with its deals and its
// recordings' track-level deals, each purge checked, in document order, problems first.
import type { DdexDeal, DdexParsedItem, DdexTrack } from '../../catalogue/ddex.js';
import type { ReleaseFacts, TrackFacts } from './drafts.js';
import type { ErnState } from './state.js';
import { withoutUnstorable } from './storable.js';
import { definedOnly, rejectionNote } from './values.js';

interface TrackReleaseDeals {
  byRecording: Map<TrackFacts, DdexDeal[]>;
  /** Why a recording's track-level deals cannot be evaluated. */
  invalid: Map<TrackFacts, string>;
  problems: DdexParsedItem[];
}

/** The message's changes, each released from memory as it is handed over. */
export function* assembledChanges(state: ErnState): Generator<DdexParsedItem> {
  yield* state.problems;
  for (const purge of state.purges) {
    const ids = purge.ids.result();
    if (ids && purge.ids.rejected.length > 0) yield state.problem('invalid_identifier', `PurgedRelease: skipped${rejectionNote(purge.ids.rejected)}; purged by its valid identifier`, purge.position, true);
    if (ids) yield { type: 'purge', purge: { ids, position: purge.position } };
    else yield state.problem('missing_release_id', `PurgedRelease names no usable release identifier${rejectionNote(purge.ids.rejected)}`, purge.position);
  }
  const trackDeals = trackReleaseDeals(state);
  yield* trackDeals.problems;
  for (let i = 0; i < state.releases.length; i++) {
    const facts = state.releases[i];
    state.releases[i] = undefined;
    if (facts?.ids && facts.idsProblem) yield state.problem('invalid_identifier', `release ${facts.reference ?? ''}: skipped${facts.idsProblem}; applied under its valid identifier`, facts.position, true);
    if (facts) yield releaseEvent(state, facts, trackDeals);
  }
}

function releaseEvent(state: ErnState, facts: ReleaseFacts, trackDeals: TrackReleaseDeals): DdexParsedItem {
  if (!facts.ids) {
    return state.problem('missing_release_id', `release ${facts.reference ?? '(no ReleaseReference)'} has no usable GRid, ICPN or namespaced ProprietaryId${facts.idsProblem ?? ''}`, facts.position);
  }
  const invalidDeal = (facts.reference !== undefined ? state.invalidDealByRelease.get(facts.reference) : undefined)
    ?? facts.recordings.map((recording) => trackDeals.invalid.get(recording)).find((reason) => reason !== undefined);
  if (invalidDeal) return state.problem('invalid_deal', `release ${facts.reference ?? ''}: ${invalidDeal}`, facts.position);
  const tracks = facts.recordings.map((recording): DdexTrack => ({ ...recording, trackReleaseDeals: trackDeals.byRecording.get(recording) ?? [] }));
  return {
    type: 'release',
    release: withoutUnstorable({
      ids: facts.ids,
      ...definedOnly({ title: facts.title, version: facts.version, displayArtist: facts.displayArtist, label: facts.label, releaseDate: facts.releaseDate }),
      explicit: facts.explicit,
      tracks,
      deals: (facts.reference !== undefined ? state.dealsByRelease.get(facts.reference) : undefined) ?? [],
      position: facts.position,
    }),
  };
}

/** Deals of track-level releases, by the recording they license. */
function trackReleaseDeals(state: ErnState): TrackReleaseDeals {
  const onMainReleases = new Set<TrackFacts>();
  for (const facts of state.releases) facts?.recordings.forEach((recording) => onMainReleases.add(recording));
  const byRecording = new Map<TrackFacts, DdexDeal[]>();
  const invalid = new Map<TrackFacts, string>();
  const problems: DdexParsedItem[] = [];
  for (const facts of state.trackReleases) {
    const orphans = facts.recordings.filter((recording) => !onMainReleases.has(recording));
    if (orphans.length > 0) {
      problems.push(state.problem('orphan_track_release', `track release ${facts.reference} licenses ${orphans.map((r) => r.isrc).join(', ')}, on no main release of this message; its deals are not applied`, facts.position));
      continue;
    }
    const deals = state.dealsByRelease.get(facts.reference) ?? [];
    const invalidDeal = state.invalidDealByRelease.get(facts.reference);
    for (const recording of facts.recordings) {
      byRecording.set(recording, (byRecording.get(recording) ?? []).concat(deals));
      if (invalidDeal) invalid.set(recording, `track release ${facts.reference}: ${invalidDeal}`);
    }
  }
  return { byRecording, invalid, problems };
}
