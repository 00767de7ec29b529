// What the reader keeps while a message streams past: drafts of the item being read, and the
// compact facts that wait for the DealList (a few short strings each; never XML).
import type { DdexDeal, DdexReleaseIds, DdexTrack, ProprietaryId, SourcePosition } from '../../catalogue/ddex.js';
import { textProblem } from '../../catalogue/storable.js';

const ICPN_SHAPE = /^\d{12,14}$/;

/** Chooses one value among candidates: the best rank wins, and on a tie the first one sent. */
export class Best<T> {
  value: T | undefined;
  private rank = Infinity;
  offer(value: T, rank: number): void {
    if (value !== '' && rank < this.rank) {
      this.value = value;
      this.rank = rank;
    }
  }
}

export class IdsDraft {
  grid: string | undefined;
  icpn: string | undefined;
  readonly proprietaryIds: ProprietaryId[] = [];
  /** Identifiers sent but unusable, for the quarantine record if no other remains. */
  readonly rejected: string[] = [];

  add(local: string, text: string, namespace: string | undefined): void {
    // A key is stored as text: one PostgreSQL cannot hold names no release.
    const problem = textProblem(text) ?? (namespace === undefined ? undefined : textProblem(namespace));
    if (problem !== undefined) this.rejected.push(`${local} ${JSON.stringify(text)} ${problem}`);
    else if (local === 'GRid') this.grid ??= text.replace(/-/g, '').toUpperCase();
    else if (local === 'ICPN') {
      const digits = text.replace(/[\s.-]/g, '');
      if (ICPN_SHAPE.test(digits)) this.icpn ??= digits;
      else this.rejected.push(`ICPN ${JSON.stringify(text)} is not 12 to 14 digits`);
    } else if (namespace) this.proprietaryIds.push({ namespace, value: text });
    else this.rejected.push(`ProprietaryId ${JSON.stringify(text)} has no Namespace`);
  }

  result(): DdexReleaseIds | undefined {
    if (!this.grid && !this.icpn && this.proprietaryIds.length === 0) return undefined;
    return { ...(this.grid ? { grid: this.grid } : {}), ...(this.icpn ? { icpn: this.icpn } : {}), proprietaryIds: this.proprietaryIds.slice() };
  }
}

/** What recordings and releases share while being read. */
export class ItemDraft {
  readonly title = new Best<{ title: string; version?: string }>();
  readonly displayArtist = new Best<string>();
  /** Fallbacks when no DisplayArtistName is sent: ERN 3 names, ERN 4 party references. */
  readonly artistNames: string[] = [];
  readonly artistReferences: string[] = [];
  readonly parentalWarning = new Best<string>();
  constructor(readonly position: SourcePosition) {}
}

export class RecordingDraft extends ItemDraft {
  isrc: string | undefined;
  reference: string | undefined;
  duration: string | undefined;
}

export class ReleaseDraft extends ItemDraft {
  readonly ids = new IdsDraft();
  reference: string | undefined;
  readonly label = new Best<string>();
  readonly labelReference = new Best<string>();
  readonly releaseDate = new Best<string>();
  readonly resourceReferences: string[] = [];
  /** ERN 3 IsMainRelease="true": a main release whatever its ReleaseType says. */
  constructor(position: SourcePosition, public trackLevel: boolean, readonly declaredMain: boolean) {
    super(position);
  }
}

/** A title element being read, with the rank its kind and territory give it. */
export interface TitleDraft {
  draft: ItemDraft;
  /** Depth of the title element on the stack. */
  element: number;
  rank: number;
  title?: string;
  version?: string;
}

export type TrackFacts = Omit<DdexTrack, 'trackReleaseDeals'>;

/** A track-level release: only which recordings its deals license. */
export interface TrackReleaseFacts {
  reference: string;
  recordings: TrackFacts[];
  position: SourcePosition;
}

/** A release reduced to what the DealList needs to complete it. */
export interface ReleaseFacts {
  reference: string | undefined;
  /** Its sound recordings, in order; references to other resources are dropped. */
  recordings: TrackFacts[];
  ids: DdexReleaseIds | undefined;
  /** Why no identifier was usable, when none was. */
  idsProblem: string | undefined;
  title: string | undefined;
  version: string | undefined;
  displayArtist: string | undefined;
  label: string | undefined;
  explicit: boolean;
  releaseDate: string | undefined;
  position: SourcePosition;
}

export interface PeriodDraft {
  validFrom?: Date;
  validUntil?: Date;
}

export interface DealDraft {
  useTypes: string[];
  commercialModelTypes: string[];
  included: string[];
  excluded: string[];
  periods: PeriodDraft[];
  takeDown: boolean;
  /** DistributionChannel PartyIds: the deal licenses these services only. */
  channels: string[];
  invalid: string | undefined;
}

export interface ReleaseDealDraft {
  references: string[];
  deals: DdexDeal[];
  invalid: string | undefined;
}

export interface PurgeDraft {
  ids: IdsDraft;
  position: SourcePosition;
}
