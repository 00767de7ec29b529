// The ReleaseList (main releases with their identifiers, label, date and recordings; track
// releases, which only say what their deals license) and a PurgeReleaseMessage's releases.
import { IdsDraft, ReleaseDraft } from './drafts.js';
import { DETAILS_BY_TERRITORY, ITEM_ELEMENTS, type ElementHandler, type ErnState, type HandlerTable } from './state.js';
import { addOnce, attribute, rejectionNote } from './values.js';

/** ERN 3 marks a track-level release by its ReleaseType; ERN 4 has a TrackRelease element. */
const TRACK_RELEASE_TYPES: ReadonlySet<string> = new Set(['TrackRelease', 'VideoTrackRelease']);
const RELEASE_DATE_RANK: Readonly<Record<string, number>> = {
  ReleaseDate: 0, GlobalReleaseDate: 1, OriginalReleaseDate: 2, GlobalOriginalReleaseDate: 3,
};

const release: ElementHandler = {
  open(state, tag) {
    if (state.parent(1) === 'ReleaseList') {
      state.release = new ReleaseDraft(state.position(), tag.local === 'TrackRelease', attribute(tag.attributes, 'IsMainRelease') === 'true');
    }
  },
  close(state) {
    if (state.release && state.parent(1) === 'ReleaseList') keepRelease(state, state.release);
    state.release = undefined;
  },
};

/** A release identifier, of a release being read or of a purged release. */
const releaseId: ElementHandler = {
  close(state, text) {
    if (state.parent(1) !== 'ReleaseId') return;
    const local = state.parent(0);
    const namespace = attribute(state.attributes, 'Namespace');
    if (state.release && ITEM_ELEMENTS.has(state.parent(2))) state.release.ids.add(local, text, namespace);
    else if (state.purge && state.parent(2) === 'PurgedRelease') state.purge.ids.add(local, text, namespace);
  },
};

const releaseDate: ElementHandler = {
  close(state, text) {
    if (state.release && state.isItemField()) state.release.releaseDate.offer(text, RELEASE_DATE_RANK[state.parent(0)]! * 2 + state.territoryRank());
  },
};

export const releaseHandlers: HandlerTable = {
  Release: release,
  TrackRelease: release,
  GRid: releaseId,
  ICPN: releaseId,
  ProprietaryId: releaseId,
  PurgedRelease: {
    open(state) {
      state.purge = { ids: new IdsDraft(), position: state.position() };
    },
    close(state) {
      if (state.purge) state.purges.push(state.purge);
      state.purge = undefined;
    },
  },
  ReleaseList: {
    close(state) {
      // Releases now hold their recordings; unreferenced ones and the references can go.
      state.recordings.clear();
    },
  },
  ReleaseReference: {
    close(state, text) {
      if (state.release && ITEM_ELEMENTS.has(state.parent(1))) state.release.reference = text;
    },
  },
  ReleaseType: {
    close(state, text) {
      const draft = state.release;
      if (draft && state.parent(1) === 'Release' && TRACK_RELEASE_TYPES.has(text) && !draft.declaredMain) draft.trackLevel = true;
    },
  },
  ReleaseResourceReference: {
    close(state, text) {
      if (state.release) addOnce(state.release.resourceReferences, text);
    },
  },
  LabelName: {
    close(state, text) {
      if (state.release && DETAILS_BY_TERRITORY.has(state.parent(1))) state.release.label.offer(text, state.territoryRank());
    },
  },
  ReleaseLabelReference: {
    close(state, text) {
      if (state.release && state.parent(1) === 'Release') state.release.labelReference.offer(text, state.territoryRank());
    },
  },
  ReleaseDate: releaseDate,
  OriginalReleaseDate: releaseDate,
  GlobalReleaseDate: releaseDate,
  GlobalOriginalReleaseDate: releaseDate,
};

/**
 * Keeps what the DealList needs to complete a release. Arrays kept are copied by slice or
 * concat, which size them exactly; one grown by push (or spread) reserves 17 slots.
 */
function keepRelease(state: ErnState, draft: ReleaseDraft): void {
  const recordings = draft.resourceReferences.map((ref) => state.recordings.get(ref)).filter((r) => r !== undefined).slice();
  if (draft.trackLevel) {
    if (draft.reference !== undefined) state.trackReleases.push({ reference: draft.reference, recordings, position: draft.position });
    return;
  }
  const ids = draft.ids.result();
  const labelReference = draft.labelReference.value;
  state.releases.push({
    reference: draft.reference,
    recordings,
    ids,
    idsProblem: rejectionNote(draft.ids.rejected) || undefined,
    title: draft.title.value?.title,
    version: state.shared(draft.title.value?.version),
    displayArtist: state.shared(state.displayArtist(draft)),
    label: state.shared(draft.label.value ?? (labelReference !== undefined ? state.partyNames.get(labelReference) : undefined)),
    explicit: draft.parentalWarning.value === 'Explicit',
    releaseDate: state.shared(draft.releaseDate.value),
    position: draft.position,
  });
}
