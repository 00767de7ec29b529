// The PartyList (names that ERN 4 artists and labels refer to) and the ResourceList's sound
// recordings, kept by ResourceReference until the ReleaseList links them to releases.
import { RecordingDraft } from './drafts.js';
import type { ErnState, HandlerTable } from './state.js';
import { definedOnly, durationSeconds } from './values.js';

const ISRC_SHAPE = /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/;

export const resourceHandlers: HandlerTable = {
  Party: {
    open(state) {
      if (state.parent(1) === 'PartyList') state.party = {};
    },
    close(state) {
      if (state.party?.reference && state.party.name) state.partyNames.set(state.party.reference, state.party.name);
      state.party = undefined;
    },
  },
  PartyReference: {
    close(state, text) {
      if (state.party && state.parent(1) === 'Party') state.party.reference = text;
    },
  },
  FullName: {
    close(state, text) {
      if (state.party && state.parent(2) === 'Party') state.party.name ??= text;
    },
  },
  SoundRecording: {
    open(state) {
      if (state.parent(1) === 'ResourceList') state.recording = new RecordingDraft(state.position());
    },
    close(state) {
      if (state.recording && state.parent(1) === 'ResourceList') finishRecording(state, state.recording);
      state.recording = undefined;
    },
  },
  ISRC: {
    close(state, text) {
      const parent = state.parent(1);
      if (state.recording && (parent === 'SoundRecordingId' || parent === 'ResourceId')) state.recording.isrc ??= text;
    },
  },
  ResourceReference: {
    close(state, text) {
      if (state.recording && state.parent(1) === 'SoundRecording') state.recording.reference = text;
    },
  },
  Duration: {
    close(state, text) {
      if (state.recording && state.parent(1) === 'SoundRecording') state.recording.duration = text;
    },
  },
};

function finishRecording(state: ErnState, draft: RecordingDraft): void {
  const isrc = draft.isrc?.replace(/[\s-]/g, '').toUpperCase();
  if (!isrc || !ISRC_SHAPE.test(isrc) || !draft.reference) {
    const why = !draft.isrc ? 'has no ISRC' : !isrc || !ISRC_SHAPE.test(isrc) ? `ISRC ${JSON.stringify(draft.isrc)} is not an ISRC` : 'has no ResourceReference';
    state.problems.push(state.problem('invalid_track', `sound recording ${draft.reference ?? '(no ResourceReference)'} ${why}; left out of its releases`, draft.position));
    return;
  }
  const duration = draft.duration ? durationSeconds(draft.duration) : undefined;
  state.recordings.set(draft.reference, {
    isrc,
    ...definedOnly({ title: draft.title.value?.title, version: state.shared(draft.title.value?.version), displayArtist: state.shared(state.displayArtist(draft)), durationSeconds: duration }),
    explicit: draft.parentalWarning.value === 'Explicit',
  });
}
