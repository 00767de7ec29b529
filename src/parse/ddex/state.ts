// The reading state every element handler shares: where the reader is in the document, the
// drafts being filled, the facts kept for the DealList, and how problems are reported.
import type { QualifiedAttribute, QualifiedTag } from 'sax';
import type {
  DdexDeal, DdexParsedItem, DdexProblemReason, ErnMessageType, SourcePosition,
} from '../../catalogue/ddex.js';
import type {
  DealDraft, ItemDraft, PeriodDraft, PurgeDraft, RecordingDraft, ReleaseDealDraft, ReleaseDraft, ReleaseFacts,
  TitleDraft, TrackFacts, TrackReleaseFacts,
} from './drafts.js';
import { attribute } from './values.js';

export interface DdexReadOptions {
  /** This service's DDEX PartyId, for DistributionChannel; default: the message's MessageRecipient. */
  recipientPartyId?: string;
}

/** What one element means, on opening and on closing; the stack holds it during both. */
export interface ElementHandler {
  open?(state: ErnState, tag: QualifiedTag): void;
  close?(state: ErnState, text: string): void;
}

/** Handlers by local name. Where several concerns read one name, their conditions on the parent exclude each other. */
export type HandlerTable = Readonly<Record<string, ElementHandler>>;

export const DETAILS_BY_TERRITORY: ReadonlySet<string> = new Set(['ReleaseDetailsByTerritory', 'SoundRecordingDetailsByTerritory']);
export const ITEM_ELEMENTS: ReadonlySet<string> = new Set(['SoundRecording', 'Release', 'TrackRelease']);
/** Worldwide (or unstated) metadata is preferred to one territory's variant. */
export const WORLDWIDE_RANK = 0;
export const ONE_TERRITORY_RANK = 1;

export class ErnState {
  stopped = false;
  /** Items ready to hand over now: the header, or a fatal problem. */
  readonly ready: DdexParsedItem[] = [];
  /** Non-fatal problems wait with the changes: a file that turns out fatal yields only its fatal problem. */
  readonly problems: DdexParsedItem[] = [];
  readonly stack: string[] = [];
  /** Attributes of the element opened last (on a leaf's close, its own). */
  attributes: Record<string, QualifiedAttribute> = {};

  messageType: ErnMessageType | undefined;
  schemaVersion = '';
  readonly header: { senderPartyId?: string; recipientPartyId?: string; messageId?: string; messageThreadId?: string; createdAt?: string } = {};
  headerRead = false;
  rootClosed = false;

  readonly partyNames = new Map<string, string>();
  party: { reference?: string; name?: string } | undefined;
  /** Recordings by ResourceReference, until the ReleaseList has linked them to releases. */
  readonly recordings = new Map<string, TrackFacts>();
  recording: RecordingDraft | undefined;
  readonly releases: (ReleaseFacts | undefined)[] = [];
  readonly trackReleases: TrackReleaseFacts[] = [];
  release: ReleaseDraft | undefined;
  /** Rank of the ERN 3 *DetailsByTerritory block being read. */
  blockRank = ONE_TERRITORY_RANK;
  title: TitleDraft | undefined;

  readonly dealsByRelease = new Map<string, DdexDeal[]>();
  /**
   * Each distinct deal, kept once: a catalogue message repeats the same terms for thousands
   * of releases. So a DdexDeal may be shared by many releases and must not be mutated.
   */
  readonly dealsByTerms = new Map<string, DdexDeal>();
  readonly invalidDealByRelease = new Map<string, string>();
  releaseDeal: ReleaseDealDraft | undefined;
  deal: DealDraft | undefined;
  period: PeriodDraft | undefined;
  purge: PurgeDraft | undefined;
  readonly purges: PurgeDraft[] = [];

  /** One instance of each artist, label, version and date: they repeat across a catalogue. */
  private readonly sharedText = new Map<string, string>();

  constructor(readonly file: string, readonly options: DdexReadOptions, private readonly where: () => SourcePosition) {}

  /** The local name `up` levels above the element on top (0: the element itself). */
  parent(up: number): string {
    return this.stack[this.stack.length - 1 - up] ?? '';
  }

  position(): SourcePosition {
    return this.where();
  }

  /** The recording or release being read, if any. */
  item(): ItemDraft | undefined {
    return this.recording ?? this.release;
  }

  /** Whether the element on top sits directly in a recording or release, or in an ERN 3 *DetailsByTerritory block. */
  isItemField(): boolean {
    const parent = this.parent(1);
    return ITEM_ELEMENTS.has(parent) || DETAILS_BY_TERRITORY.has(parent);
  }

  /** ERN 3 scopes metadata by its enclosing block, ERN 4 by an ApplicableTerritoryCode attribute. */
  territoryRank(): number {
    if (DETAILS_BY_TERRITORY.has(this.parent(1))) return this.blockRank;
    const territory = attribute(this.attributes, 'ApplicableTerritoryCode');
    return territory === undefined || territory === 'Worldwide' ? WORLDWIDE_RANK : ONE_TERRITORY_RANK;
  }

  shared(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const kept = this.sharedText.get(text);
    if (kept !== undefined) return kept;
    this.sharedText.set(text, text);
    return text;
  }

  displayArtist(draft: ItemDraft): string | undefined {
    if (draft.displayArtist.value) return draft.displayArtist.value;
    const names = [...draft.artistNames, ...draft.artistReferences.map((ref) => this.partyNames.get(ref)).filter((n) => n !== undefined)];
    return names.length > 0 ? names.join(', ') : undefined;
  }

  problem(reason: DdexProblemReason, detail: string, at: SourcePosition, warning = false): DdexParsedItem {
    return { type: 'problem', problem: { file: this.file, line: at.line, column: at.column, reason, detail, fatal: false, ...(warning ? { warning } : {}) } };
  }

  /** Stops reading: the file is not a message that can be applied. */
  fail(reason: DdexProblemReason, detail: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const at = this.position();
    this.ready.push({ type: 'problem', problem: { file: this.file, line: at.line, column: at.column, reason, detail, fatal: true } });
  }
}
