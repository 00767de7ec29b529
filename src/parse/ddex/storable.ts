// The values of a release that the catalogue's columns cannot hold, found by the database's own
// rules (src/catalogue/storable.ts) before SQL: such a value is taken out of the release and
// named, so a takedown still applies by its key (docs/design.md invariant 9) and
// src/apply/ddex-refused.ts quarantines any other release with the reason. Identifiers, territories and deal terms are
// checked where they are read (drafts.ts, deals.ts).
import type { DdexRelease, DdexTrack } from '../../catalogue/ddex.js';
import { INT4_RANGE, textProblem, timestampProblem } from '../../catalogue/storable.js';
import { quoted } from '../excerpt.js';

/** The release's text fields, by the element they were read from. */
const RELEASE_TEXT = { title: 'TitleText', version: 'SubTitle', displayArtist: 'DisplayArtistName', label: 'LabelName', releaseDate: 'ReleaseDate' } as const;
const TRACK_TEXT = { title: 'TitleText', version: 'SubTitle', displayArtist: 'DisplayArtistName' } as const;
/** The release date apply stores as a timestamp (src/apply/ddex.ts); a year alone is only a year. */
const FULL_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** The release without the values its columns cannot hold, and why each was taken out (none: `refused` absent). */
export function withoutUnstorable(release: DdexRelease): DdexRelease {
  const refused: string[] = [];
  const clean: DdexRelease = { ...release };
  for (const [field, element] of Object.entries(RELEASE_TEXT) as [keyof typeof RELEASE_TEXT, string][]) {
    const value = clean[field];
    const problem = value === undefined ? undefined : textProblem(value) ?? (field === 'releaseDate' && FULL_DATE.test(value) ? timestampProblem(value) : undefined);
    if (problem === undefined) continue;
    refused.push(`${element} ${quoted(value!)} ${problem}`);
    delete clean[field];
  }
  clean.tracks = release.tracks.map((track) => storableTrack(track, refused));
  const total = clean.tracks.reduce((sum, track) => sum + (track.durationSeconds ?? 0), 0);
  if (total > INT4_RANGE.max) {
    refused.push(`the tracks' Durations add up to ${total} s, out of range for an integer column`);
    for (const track of clean.tracks) delete track.durationSeconds;
  }
  return refused.length > 0 ? { ...clean, refused } : release;
}

function storableTrack(track: DdexTrack, refused: string[]): DdexTrack {
  const clean: DdexTrack = { ...track };
  for (const [field, element] of Object.entries(TRACK_TEXT) as [keyof typeof TRACK_TEXT, string][]) {
    const value = track[field];
    const problem = value === undefined ? undefined : textProblem(value);
    if (problem === undefined) continue;
    refused.push(`track ${track.isrc} ${element} ${quoted(value!)} ${problem}`);
    delete clean[field];
  }
  if (track.durationSeconds !== undefined && track.durationSeconds > INT4_RANGE.max) {
    refused.push(`track ${track.isrc} Duration of ${track.durationSeconds} s is out of range for an integer column (${INT4_RANGE.min} to ${INT4_RANGE.max})`);
    delete clean.durationSeconds;
  }
  return clean;
}
