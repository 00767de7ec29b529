// Streams a DDEX ERN 3.8.x or 4.x NewReleaseMessage or PurgeReleaseMessage (FEEDS.md
// "Label XML feeds") into typed events: the header as soon as it is read, then one complete
// DdexRelease (metadata, tracks, deals) or DdexPurgedRelease at a time, plus quarantine records.
//
// Elements are matched by local name and position, never by prefix or namespace URI: senders
// write ern:, ernm: or no prefix, and /ern/382 as well as /ern/43.
//
// Memory. A message lists resources, then releases, then deals, and any deal may name any
// release, so no release is complete before the DealList ends. Until then this reader keeps
// compact facts (a few short strings per recording and release, each distinct deal once;
// never XML or a DOM). So memory is not flat in the number of releases: it grows with the
// recordings and releases of one message, at a fraction of its size. Measured by
// bench/ddex-memory.ts on a generated 198 MB message of 5,226 twelve-track albums (62,712
// recordings, as many track releases): 41 MB of heap held when the first release comes out,
// about 8 KB per album, a fifth of the XML; peak RSS 176-190 MB, 75-80 MB of it Node and tsx.
// Bounded whatever the input: one value (MAX_VALUE_CHARS), the nesting (MAX_DEPTH) and sax's
// own buffers (64 KiB each).
//
// Nothing from a file is yielded as a change until the whole document has been read and found
// well-formed, so a truncated or malformed file never half-applies (DESIGN.md invariant 5).
//
// Security. DDEX never uses a DOCTYPE, so any DOCTYPE rejects the file: that is how XXE and
// entity-expansion ("billion laughs") attacks begin. sax never fetches external entities, and
// with strictEntities it knows only the five XML entities; no other is ever expanded.
import { dealProblem, forOtherChannels } from './ddex-validity.js';
import sax from 'sax';
import type { QualifiedAttribute, QualifiedTag, SAXOptions, SAXParser } from 'sax';
import type {
  DdexDeal, DdexEvent, DdexMessageHeader, DdexProblemReason, DdexReleaseIds, DdexTrack, ErnMessageType,
  ProprietaryId, SourcePosition,
} from './ddex-model.js';

/** Far beyond any real title or identifier; a longer value is an attack or a broken file. */
const MAX_VALUE_CHARS = 64 * 1024;
/** ERN nests about 10 deep; sax keeps every open tag, so a deeper file is refused. */
const MAX_DEPTH = 64;

/** Leaf elements whose text this reader uses; all other text is dropped as it streams past. */
const CAPTURED: ReadonlySet<string> = new Set([
  'MessageId', 'PartyId', 'MessageCreatedDateTime', 'PartyReference', 'FullName',
  'ISRC', 'ResourceReference', 'Duration', 'TitleText', 'SubTitle', 'DisplayTitleText',
  'DisplayArtistName', 'ArtistPartyReference', 'ParentalWarningType', 'LabelName', 'ReleaseLabelReference',
  'ReleaseDate', 'OriginalReleaseDate', 'GlobalReleaseDate', 'GlobalOriginalReleaseDate',
  'GRid', 'ICPN', 'ProprietaryId', 'ReleaseReference', 'ReleaseResourceReference', 'ReleaseType',
  'TerritoryCode', 'ExcludedTerritoryCode', 'DealReleaseReference', 'UseType', 'CommercialModelType',
  'StartDate', 'EndDate', 'StartDateTime', 'EndDateTime', 'TakeDown', 'AllDealsCancelled',
]);
const DETAILS_BY_TERRITORY: ReadonlySet<string> = new Set(['ReleaseDetailsByTerritory', 'SoundRecordingDetailsByTerritory']);
const ITEM_ELEMENTS: ReadonlySet<string> = new Set(['SoundRecording', 'Release', 'TrackRelease']);
/** ERN 3 marks a track-level release by its ReleaseType; ERN 4 has a TrackRelease element. */
const TRACK_RELEASE_TYPES: ReadonlySet<string> = new Set(['TrackRelease', 'VideoTrackRelease']);
/** Later entries lose: a display title beats a formal one, which beats the reference title. */
const TITLE_KIND_RANK = { display: 0, other: 1, reference: 2, displayTitleText: 3 } as const;
const RELEASE_DATE_RANK: Readonly<Record<string, number>> = {
  ReleaseDate: 0, GlobalReleaseDate: 1, OriginalReleaseDate: 2, GlobalOriginalReleaseDate: 3,
};
/** Worldwide (or unstated) metadata is preferred to one territory's variant. */
const WORLDWIDE_RANK = 0;
const ONE_TERRITORY_RANK = 1;
const ISRC_SHAPE = /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/;
const ICPN_SHAPE = /^\d{12,14}$/;
const ISO_DURATION = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;
const DATE_ONLY = /^(\d{4}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$/;
const DAY_MS = 86_400_000;
/** http://ddex.net/xml/ern/382, http://ddex.net/xml/ern/43 */
const ERN_NAMESPACE_VERSION = /\/ern\/(\d{2,3})\/?$/;
/** MessageSchemaVersionId: ern/382, /ern/382 */
const ERN_ATTRIBUTE_VERSION = /^\/?ern\/(\d{2,3})$/;
const SUPPORTED_VERSION = /^(3\.8(\.\d)?|4\.\d(\.\d)?)$/;

export interface DdexReadOptions {
  /** This service's DDEX PartyId, for DistributionChannel; default: the message's MessageRecipient. */
  recipientPartyId?: string;
}

/**
 * Reads one ERN message. Yields its header first, then (once the whole document has been
 * read) its releases or purged releases in document order, with non-fatal problems. A fatal
 * problem ends the iteration. Errors of `input` itself (I/O, gzip) are thrown unchanged.
 */
export async function* readDdexMessage(input: AsyncIterable<Uint8Array | string>, file: string, options: DdexReadOptions = {}): AsyncGenerator<DdexEvent, void, undefined> {
  const reader = new ErnReader(file, options);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of input) {
    reader.write(chunk, decoder);
    yield* reader.drain();
    if (reader.stopped) return;
  }
  reader.end(decoder);
  yield* reader.drain();
  if (!reader.stopped) yield* reader.changes();
}

/** Chooses one value among candidates: the best rank wins, and on a tie the first one sent. */
class Best<T> {
  value: T | undefined;
  private rank = Infinity;
  offer(value: T, rank: number): void {
    if (value !== '' && rank < this.rank) {
      this.value = value;
      this.rank = rank;
    }
  }
}

class IdsDraft {
  grid: string | undefined;
  icpn: string | undefined;
  readonly proprietaryIds: ProprietaryId[] = [];
  /** Identifiers sent but unusable, for the quarantine record if no other remains. */
  readonly rejected: string[] = [];

  add(local: string, text: string, namespace: string | undefined): void {
    if (local === 'GRid') this.grid ??= text.replace(/-/g, '').toUpperCase();
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
class ItemDraft {
  readonly title = new Best<{ title: string; version?: string }>();
  readonly displayArtist = new Best<string>();
  /** Fallbacks when no DisplayArtistName is sent: ERN 3 names, ERN 4 party references. */
  readonly artistNames: string[] = [];
  readonly artistReferences: string[] = [];
  readonly parentalWarning = new Best<string>();
  constructor(readonly position: SourcePosition) {}
}

class RecordingDraft extends ItemDraft {
  isrc: string | undefined;
  reference: string | undefined;
  duration: string | undefined;
}

class ReleaseDraft extends ItemDraft {
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

type TrackFacts = Omit<DdexTrack, 'trackReleaseDeals'>;

/** A track-level release: only which recordings its deals license. */
interface TrackReleaseFacts {
  reference: string;
  recordings: TrackFacts[];
  position: SourcePosition;
}

/** A release reduced to what the DealList needs to complete it. */
interface ReleaseFacts {
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

interface TrackReleaseDeals {
  byRecording: Map<TrackFacts, DdexDeal[]>;
  /** Why a recording's track-level deals cannot be evaluated. */
  invalid: Map<TrackFacts, string>;
  problems: DdexEvent[];
}

interface DealDraft {
  useTypes: string[];
  commercialModelTypes: string[];
  included: string[];
  excluded: string[];
  periods: { validFrom?: Date; validUntil?: Date }[];
  takeDown: boolean;
  /** DistributionChannel PartyIds: the deal licenses these services only. */
  channels: string[];
  invalid: string | undefined;
}

class ErnReader {
  stopped = false;
  private readonly parser: SAXParser;
  private readonly ready: DdexEvent[] = [];
  /** Non-fatal problems wait with the changes: a file that turns out fatal yields only its fatal problem. */
  private readonly problems: DdexEvent[] = [];
  private readonly stack: string[] = [];
  private attributes: Record<string, QualifiedAttribute> = {};
  private capturing = false;
  private text = '';

  private messageType: ErnMessageType | undefined;
  private schemaVersion = '';
  private readonly header: { senderPartyId?: string; recipientPartyId?: string; messageId?: string; createdAt?: string } = {};
  private headerRead = false;
  private rootClosed = false;

  private readonly partyNames = new Map<string, string>();
  private party: { reference?: string; name?: string } | undefined;
  /** Recordings by ResourceReference, until the ReleaseList has linked them to releases. */
  private readonly recordings = new Map<string, TrackFacts>();
  /** One instance of each artist, label, version and date: they repeat across a catalogue. */
  private readonly sharedText = new Map<string, string>();
  private recording: RecordingDraft | undefined;
  private readonly releases: (ReleaseFacts | undefined)[] = [];
  private readonly trackReleases: TrackReleaseFacts[] = [];
  private release: ReleaseDraft | undefined;
  /** Rank of the ERN 3 *DetailsByTerritory block being read. */
  private blockRank = ONE_TERRITORY_RANK;
  private title: { draft: ItemDraft; element: number; rank: number; title?: string; version?: string } | undefined;
  private readonly dealsByRelease = new Map<string, DdexDeal[]>();
  /**
   * Each distinct deal, kept once: a catalogue message repeats the same terms for thousands
   * of releases. So a DdexDeal may be shared by many releases and must not be mutated.
   */
  private readonly dealsByTerms = new Map<string, DdexDeal>();
  private readonly invalidDealByRelease = new Map<string, string>();
  private releaseDeal: { references: string[]; deals: DdexDeal[]; invalid: string | undefined } | undefined;
  private deal: DealDraft | undefined;
  private period: { validFrom?: Date; validUntil?: Date } | undefined;
  private purge: { ids: IdsDraft; position: SourcePosition } | undefined;
  private readonly purges: { ids: IdsDraft; position: SourcePosition }[] = [];

  constructor(private readonly file: string, private readonly options: DdexReadOptions) {
    this.parser = sax.parser(true, { xmlns: true, position: true, strictEntities: true } as SAXOptions);
    this.parser.onerror = (err) => this.fail('malformed_xml', err.message.split('\n')[0] ?? 'not well-formed XML');
    this.parser.ondoctype = () => this.fail('doctype_refused', 'has a DOCTYPE; DDEX messages never do, and external or nested entities are refused');
    this.parser.onprocessinginstruction = (pi) => this.checkDeclaration(pi);
    this.parser.onopentag = (tag) => this.onOpen(tag as QualifiedTag);
    this.parser.onclosetag = () => this.onClose();
    this.parser.ontext = (text) => this.onText(text);
    this.parser.oncdata = (text) => this.onText(text);
  }

  write(chunk: Uint8Array | string, decoder: TextDecoder): void {
    let text: string;
    try {
      text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    } catch {
      return this.fail('malformed_xml', 'is not valid UTF-8');
    }
    this.parser.write(text);
  }

  end(decoder: TextDecoder): void {
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      return this.fail('malformed_xml', 'ends inside a UTF-8 character');
    }
    if (rest) this.parser.write(rest);
    if (this.stopped) return;
    this.parser.close();
    if (!this.stopped && !this.rootClosed) this.fail('malformed_xml', 'is empty or ends before its root element closes');
    if (!this.stopped && !this.headerRead) this.fail('invalid_header', 'has no MessageHeader');
  }

  *drain(): Generator<DdexEvent> {
    while (this.ready.length > 0) yield this.ready.shift()!;
  }

  /** The message's changes, each released from memory as it is handed over. */
  *changes(): Generator<DdexEvent> {
    yield* this.problems;
    for (const purge of this.purges) {
      const ids = purge.ids.result();
      if (ids && purge.ids.rejected.length > 0) yield this.problem('invalid_identifier', `PurgedRelease: skipped${rejectionNote(purge.ids.rejected)}; purged by its valid identifier`, purge.position, true);
      if (ids) yield { type: 'purge', purge: { ids, position: purge.position } };
      else yield this.problem('missing_release_id', `PurgedRelease names no usable release identifier${rejectionNote(purge.ids.rejected)}`, purge.position);
    }
    const trackReleaseDeals = this.trackReleaseDeals();
    yield* trackReleaseDeals.problems;
    for (let i = 0; i < this.releases.length; i++) {
      const facts = this.releases[i];
      this.releases[i] = undefined;
      if (facts?.ids && facts.idsProblem) yield this.problem('invalid_identifier', `release ${facts.reference ?? ''}: skipped${facts.idsProblem}; applied under its valid identifier`, facts.position, true);
      if (facts) yield this.releaseEvent(facts, trackReleaseDeals);
    }
  }

  private releaseEvent(facts: ReleaseFacts, trackDeals: TrackReleaseDeals): DdexEvent {
    if (!facts.ids) {
      return this.problem('missing_release_id', `release ${facts.reference ?? '(no ReleaseReference)'} has no usable GRid, ICPN or namespaced ProprietaryId${facts.idsProblem ?? ''}`, facts.position);
    }
    const invalidDeal = (facts.reference !== undefined ? this.invalidDealByRelease.get(facts.reference) : undefined)
      ?? facts.recordings.map((recording) => trackDeals.invalid.get(recording)).find((reason) => reason !== undefined);
    if (invalidDeal) return this.problem('invalid_deal', `release ${facts.reference ?? ''}: ${invalidDeal}`, facts.position);
    const tracks = facts.recordings.map((recording): DdexTrack => ({ ...recording, trackReleaseDeals: trackDeals.byRecording.get(recording) ?? [] }));
    return {
      type: 'release',
      release: {
        ids: facts.ids,
        ...definedOnly({ title: facts.title, version: facts.version, displayArtist: facts.displayArtist, label: facts.label, releaseDate: facts.releaseDate }),
        explicit: facts.explicit,
        tracks,
        deals: (facts.reference !== undefined ? this.dealsByRelease.get(facts.reference) : undefined) ?? [],
        position: facts.position,
      },
    };
  }

  /** Deals of track-level releases, by the recording they license. */
  private trackReleaseDeals(): TrackReleaseDeals {
    const onMainReleases = new Set<TrackFacts>();
    for (const facts of this.releases) facts?.recordings.forEach((recording) => onMainReleases.add(recording));
    const byRecording = new Map<TrackFacts, DdexDeal[]>();
    const invalid = new Map<TrackFacts, string>();
    const problems: DdexEvent[] = [];
    for (const facts of this.trackReleases) {
      const orphans = facts.recordings.filter((recording) => !onMainReleases.has(recording));
      if (orphans.length > 0) {
        problems.push(this.problem('orphan_track_release', `track release ${facts.reference} licenses ${orphans.map((r) => r.isrc).join(', ')}, on no main release of this message; its deals are not applied`, facts.position));
        continue;
      }
      const deals = this.dealsByRelease.get(facts.reference) ?? [];
      const invalidDeal = this.invalidDealByRelease.get(facts.reference);
      for (const recording of facts.recordings) {
        byRecording.set(recording, (byRecording.get(recording) ?? []).concat(deals));
        if (invalidDeal) invalid.set(recording, `track release ${facts.reference}: ${invalidDeal}`);
      }
    }
    return { byRecording, invalid, problems };
  }

  private onOpen(tag: QualifiedTag): void {
    if (this.stopped) return;
    this.stack.push(tag.local);
    if (this.stack.length > MAX_DEPTH) return this.fail('limit_exceeded', `nests elements more than ${MAX_DEPTH} deep`);
    this.attributes = tag.attributes;
    this.capturing = CAPTURED.has(tag.local);
    this.text = '';
    if (this.stack.length === 1) return this.openRoot(tag);
    const parent = this.parent(1);
    switch (tag.local) {
      case 'Party':
        if (parent === 'PartyList') this.party = {};
        break;
      case 'SoundRecording':
        if (parent === 'ResourceList') this.recording = new RecordingDraft(this.position());
        break;
      case 'Release':
      case 'TrackRelease':
        if (parent === 'ReleaseList') {
          this.release = new ReleaseDraft(this.position(), tag.local === 'TrackRelease', attribute(tag.attributes, 'IsMainRelease') === 'true');
        }
        break;
      case 'ReleaseDetailsByTerritory':
      case 'SoundRecordingDetailsByTerritory':
        this.blockRank = ONE_TERRITORY_RANK;
        break;
      case 'Title':
      case 'ReferenceTitle':
      case 'DisplayTitle':
        this.openTitle(tag.local);
        break;
      case 'ReleaseDeal':
        if (parent === 'DealList') this.releaseDeal = { references: [], deals: [], invalid: undefined };
        break;
      case 'Deal':
        if (this.releaseDeal && parent === 'ReleaseDeal') {
          this.deal = { useTypes: [], commercialModelTypes: [], included: [], excluded: [], periods: [], takeDown: false, channels: [], invalid: undefined };
        }
        break;
      case 'ValidityPeriod':
        if (this.deal && parent === 'DealTerms') this.period = {};
        break;
      case 'PurgedRelease':
        this.purge = { ids: new IdsDraft(), position: this.position() };
        break;
    }
  }

  private openRoot(tag: QualifiedTag): void {
    if (tag.local !== 'NewReleaseMessage' && tag.local !== 'PurgeReleaseMessage') {
      return this.fail('unsupported_message_type', `root element ${tag.name} is not an ERN NewReleaseMessage or PurgeReleaseMessage`);
    }
    const declared = attribute(tag.attributes, 'MessageSchemaVersionId');
    const digits = ERN_NAMESPACE_VERSION.exec(tag.uri)?.[1] ?? ERN_ATTRIBUTE_VERSION.exec(declared?.trim() ?? '')?.[1];
    const version = digits?.split('').join('.');
    if (!version || !SUPPORTED_VERSION.test(version)) {
      return this.fail('unsupported_schema_version', `ERN version ${version ?? 'unknown'} (namespace ${JSON.stringify(tag.uri)}, MessageSchemaVersionId ${JSON.stringify(declared ?? null)}) is not 3.8.x or 4.x`);
    }
    this.messageType = tag.local;
    this.schemaVersion = version;
  }

  private openTitle(local: string): void {
    const draft = this.item();
    const parent = this.parent(1);
    if (!draft || !(ITEM_ELEMENTS.has(parent) || DETAILS_BY_TERRITORY.has(parent))) return;
    const kind = local === 'ReferenceTitle' ? TITLE_KIND_RANK.reference
      : local === 'DisplayTitle' || attribute(this.attributes, 'TitleType') === 'DisplayTitle' ? TITLE_KIND_RANK.display
        : TITLE_KIND_RANK.other;
    this.title = { draft, element: this.stack.length, rank: kind * 2 + this.territoryRank() };
  }

  private onText(text: string): void {
    if (this.stopped || !this.capturing) return;
    this.text += text;
    if (this.text.length > MAX_VALUE_CHARS) this.fail('limit_exceeded', `<${this.parent(0)}> holds more than ${MAX_VALUE_CHARS} characters`);
  }

  private onClose(): void {
    if (this.stopped) return;
    const local = this.parent(0);
    const text = this.capturing ? detached(this.text.replace(/\s+/g, ' ').trim()) : '';
    this.capturing = false;
    this.readElement(local, text);
    this.stack.pop();
  }

  /** Files what an element held; the stack still has the element on top. */
  private readElement(local: string, text: string): void {
    const parent = this.parent(1);
    const item = this.item();
    switch (local) {
      case 'MessageId':
        if (parent === 'MessageHeader') this.header.messageId = text;
        return;
      case 'PartyId':
        if (parent === 'MessageSender') this.header.senderPartyId ??= text;
        else if (parent === 'MessageRecipient') this.header.recipientPartyId ??= text;
        else if (parent === 'DistributionChannel' && this.parent(2) === 'DealTerms') this.deal?.channels.push(text);
        return;
      case 'MessageCreatedDateTime':
        if (parent === 'MessageHeader') this.header.createdAt = text;
        return;
      case 'MessageHeader':
        if (this.stack.length === 2) this.finishHeader();
        return;
      case 'TerritoryCode':
      case 'ExcludedTerritoryCode':
        // Read before the block's metadata: ERN 3 lists a block's territories first.
        if (DETAILS_BY_TERRITORY.has(parent)) {
          if (local === 'ExcludedTerritoryCode' || text === 'Worldwide') this.blockRank = WORLDWIDE_RANK;
          return;
        }
        break;
      case 'PartyReference':
        if (this.party && parent === 'Party') this.party.reference = text;
        return;
      case 'FullName':
        if (this.party && this.parent(2) === 'Party') this.party.name ??= text;
        else if (item && this.parent(2) === 'DisplayArtist') addOnce(item.artistNames, text);
        return;
      case 'Party':
        if (this.party?.reference && this.party.name) this.partyNames.set(this.party.reference, this.party.name);
        this.party = undefined;
        return;
      case 'ISRC':
        if (this.recording && (parent === 'SoundRecordingId' || parent === 'ResourceId')) this.recording.isrc ??= text;
        return;
      case 'ResourceReference':
        if (this.recording && parent === 'SoundRecording') this.recording.reference = text;
        return;
      case 'Duration':
        if (this.recording && parent === 'SoundRecording') this.recording.duration = text;
        return;
      case 'TitleText':
        if (this.title && this.title.element === this.stack.length - 1) this.title.title ??= text;
        return;
      case 'SubTitle':
        if (this.title && this.title.element === this.stack.length - 1) this.title.version ??= text;
        return;
      case 'Title':
      case 'ReferenceTitle':
      case 'DisplayTitle':
        if (this.title && this.title.element === this.stack.length) {
          const { draft, rank, title, version } = this.title;
          if (title) draft.title.offer({ title, ...(version ? { version } : {}) }, rank);
          this.title = undefined;
        }
        return;
      case 'DisplayTitleText':
        if (item && ITEM_ELEMENTS.has(parent)) item.title.offer({ title: text }, TITLE_KIND_RANK.displayTitleText * 2 + this.territoryRank());
        return;
      case 'DisplayArtistName':
        if (item && this.isItemField()) item.displayArtist.offer(text, this.territoryRank());
        return;
      case 'ArtistPartyReference':
        if (item && parent === 'DisplayArtist') addOnce(item.artistReferences, text);
        return;
      case 'ParentalWarningType':
        if (item && this.isItemField()) item.parentalWarning.offer(text, this.territoryRank());
        return;
      case 'SoundRecording':
        if (this.recording && parent === 'ResourceList') this.finishRecording(this.recording);
        this.recording = undefined;
        return;
    }
    this.readReleaseElement(local, text, parent);
    this.readDealElement(local, text, parent);
    if (this.stack.length === 1) this.rootClosed = true;
  }

  private readReleaseElement(local: string, text: string, parent: string): void {
    const release = this.release;
    switch (local) {
      case 'GRid':
      case 'ICPN':
      case 'ProprietaryId':
        if (parent !== 'ReleaseId') return;
        if (release && ITEM_ELEMENTS.has(this.parent(2))) release.ids.add(local, text, attribute(this.attributes, 'Namespace'));
        else if (this.purge && this.parent(2) === 'PurgedRelease') this.purge.ids.add(local, text, attribute(this.attributes, 'Namespace'));
        return;
      case 'PurgedRelease':
        if (this.purge) this.purges.push(this.purge);
        this.purge = undefined;
        return;
      case 'ReleaseList':
        // Releases now hold their recordings; unreferenced ones and the references can go.
        this.recordings.clear();
        return;
    }
    if (!release) return;
    switch (local) {
      case 'ReleaseReference':
        if (ITEM_ELEMENTS.has(parent)) release.reference = text;
        return;
      case 'ReleaseType':
        if (parent === 'Release' && TRACK_RELEASE_TYPES.has(text) && !release.declaredMain) release.trackLevel = true;
        return;
      case 'ReleaseResourceReference':
        addOnce(release.resourceReferences, text);
        return;
      case 'LabelName':
        if (DETAILS_BY_TERRITORY.has(parent)) release.label.offer(text, this.territoryRank());
        return;
      case 'ReleaseLabelReference':
        if (parent === 'Release') release.labelReference.offer(text, this.territoryRank());
        return;
      case 'ReleaseDate':
      case 'OriginalReleaseDate':
      case 'GlobalReleaseDate':
      case 'GlobalOriginalReleaseDate':
        if (this.isItemField()) release.releaseDate.offer(text, RELEASE_DATE_RANK[local]! * 2 + this.territoryRank());
        return;
      case 'Release':
      case 'TrackRelease':
        if (parent === 'ReleaseList') this.keepRelease(release);
        this.release = undefined;
        return;
    }
  }

  private readDealElement(local: string, text: string, parent: string): void {
    const deal = this.deal;
    if (local === 'DealReleaseReference' && this.releaseDeal && parent === 'ReleaseDeal') this.releaseDeal.references.push(text);
    if (local === 'ReleaseDeal' && this.releaseDeal) return this.finishReleaseDeal(this.releaseDeal);
    if (!deal) return;
    switch (local) {
      case 'CommercialModelType':
        if (parent === 'DealTerms') deal.commercialModelTypes.push(text);
        return;
      case 'UseType':
        if (parent === 'Usage' || parent === 'DealTerms') deal.useTypes.push(text);
        return;
      case 'TerritoryCode':
        if (parent === 'DealTerms') deal.included.push(territoryCode(text));
        return;
      case 'ExcludedTerritoryCode':
        if (parent === 'DealTerms') deal.excluded.push(territoryCode(text));
        return;
      case 'TakeDown':
      case 'AllDealsCancelled':
        if (parent === 'DealTerms' && text === 'true') deal.takeDown = true;
        return;
      case 'StartDate':
      case 'StartDateTime':
      case 'EndDate':
      case 'EndDateTime': {
        if (!this.period || parent !== 'ValidityPeriod') return;
        const edge = local.startsWith('Start') ? 'start' : 'end';
        const instant = dealInstant(text, edge);
        if (!instant) deal.invalid ??= `${local} ${JSON.stringify(text)} is not an ISO date or date-time`;
        else if (edge === 'start') this.period.validFrom = instant;
        else this.period.validUntil = instant;
        return;
      }
      case 'ValidityPeriod':
        if (this.period) deal.periods.push(this.period);
        this.period = undefined;
        return;
      case 'Deal':
        this.finishDeal(deal);
        this.deal = undefined;
        return;
    }
  }

  private finishHeader(): void {
    const { senderPartyId, messageId, createdAt: createdText } = this.header;
    const createdAt = createdText ? dateTime(createdText) : undefined;
    if (!senderPartyId || !messageId || !createdAt || !this.messageType) {
      const missing = [!senderPartyId && 'MessageSender/PartyId', !messageId && 'MessageId', !createdAt && 'a valid MessageCreatedDateTime'];
      return this.fail('invalid_header', `MessageHeader lacks ${missing.filter(Boolean).join(', ')}`);
    }
    const header: DdexMessageHeader = { messageType: this.messageType, schemaVersion: this.schemaVersion, senderPartyId, messageId, createdAt };
    this.headerRead = true;
    this.ready.push({ type: 'header', header });
  }

  private finishRecording(draft: RecordingDraft): void {
    const isrc = draft.isrc?.replace(/[\s-]/g, '').toUpperCase();
    if (!isrc || !ISRC_SHAPE.test(isrc) || !draft.reference) {
      const why = !draft.isrc ? 'has no ISRC' : !isrc || !ISRC_SHAPE.test(isrc) ? `ISRC ${JSON.stringify(draft.isrc)} is not an ISRC` : 'has no ResourceReference';
      this.problems.push(this.problem('invalid_track', `sound recording ${draft.reference ?? '(no ResourceReference)'} ${why}; left out of its releases`, draft.position));
      return;
    }
    const duration = draft.duration ? durationSeconds(draft.duration) : undefined;
    this.recordings.set(draft.reference, {
      isrc,
      ...definedOnly({ title: draft.title.value?.title, version: this.shared(draft.title.value?.version), displayArtist: this.shared(this.displayArtist(draft)), durationSeconds: duration }),
      explicit: draft.parentalWarning.value === 'Explicit',
    });
  }

  /**
   * Keeps what the DealList needs to complete a release. Arrays kept are copied by slice or
   * concat, which size them exactly; one grown by push (or spread) reserves 17 slots.
   */
  private keepRelease(draft: ReleaseDraft): void {
    const recordings = draft.resourceReferences.map((ref) => this.recordings.get(ref)).filter((r) => r !== undefined).slice();
    if (draft.trackLevel) {
      if (draft.reference !== undefined) this.trackReleases.push({ reference: draft.reference, recordings, position: draft.position });
      return;
    }
    const ids = draft.ids.result();
    const labelReference = draft.labelReference.value;
    this.releases.push({
      reference: draft.reference,
      recordings,
      ids,
      idsProblem: rejectionNote(draft.ids.rejected) || undefined,
      title: draft.title.value?.title,
      version: this.shared(draft.title.value?.version),
      displayArtist: this.shared(this.displayArtist(draft)),
      label: this.shared(draft.label.value ?? (labelReference !== undefined ? this.partyNames.get(labelReference) : undefined)),
      explicit: draft.parentalWarning.value === 'Explicit',
      releaseDate: this.shared(draft.releaseDate.value),
      position: draft.position,
    });
  }

  private shared(text: string | undefined): string | undefined {
    if (text === undefined) return undefined;
    const kept = this.sharedText.get(text);
    if (kept !== undefined) return kept;
    this.sharedText.set(text, text);
    return text;
  }

  private displayArtist(draft: ItemDraft): string | undefined {
    if (draft.displayArtist.value) return draft.displayArtist.value;
    const names = [...draft.artistNames, ...draft.artistReferences.map((ref) => this.partyNames.get(ref)).filter((n) => n !== undefined)];
    return names.length > 0 ? names.join(', ') : undefined;
  }

  private finishDeal(draft: DealDraft): void {
    const releaseDeal = this.releaseDeal!;
    draft.invalid ??= dealProblem(draft);
    if (draft.invalid) {
      releaseDeal.invalid ??= draft.invalid;
      return;
    }
    const territories = draft.included.length > 0 ? { kind: 'included' as const, codes: draft.included } : { kind: 'excluded' as const, codes: draft.excluded };
    const periods = draft.periods.length > 0 ? draft.periods : [{}];
    for (const period of periods) {
      const deal: DdexDeal = {
        useTypes: draft.useTypes, commercialModelTypes: draft.commercialModelTypes, territories, ...period, takeDown: draft.takeDown,
        ...(forOtherChannels(draft.channels, this.options.recipientPartyId ?? this.header.recipientPartyId) ? { otherChannels: true } : {}),
      };
      const key = JSON.stringify(deal);
      const shared = this.dealsByTerms.get(key) ?? structuredClone(deal);
      this.dealsByTerms.set(key, shared);
      releaseDeal.deals.push(shared);
    }
  }

  private finishReleaseDeal(releaseDeal: { references: string[]; deals: DdexDeal[]; invalid: string | undefined }): void {
    for (const ref of releaseDeal.references) {
      if (releaseDeal.invalid) this.invalidDealByRelease.set(ref, releaseDeal.invalid);
      this.dealsByRelease.set(ref, (this.dealsByRelease.get(ref) ?? []).concat(releaseDeal.deals));
    }
    this.releaseDeal = undefined;
  }

  private checkDeclaration(pi: { name: string; body: string }): void {
    const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(pi.body)?.[1];
    if (pi.name === 'xml' && encoding && !/^utf-?8$/i.test(encoding)) this.fail('malformed_xml', `declares encoding ${encoding}; only UTF-8 is read`);
  }

  /** The recording or release being read, if any. */
  private item(): ItemDraft | undefined {
    return this.recording ?? this.release;
  }

  /** Whether the element on top sits directly in a recording or release, or in an ERN 3 *DetailsByTerritory block. */
  private isItemField(): boolean {
    const parent = this.parent(1);
    return ITEM_ELEMENTS.has(parent) || DETAILS_BY_TERRITORY.has(parent);
  }

  /** ERN 3 scopes metadata by its enclosing block, ERN 4 by an ApplicableTerritoryCode attribute. */
  private territoryRank(): number {
    if (DETAILS_BY_TERRITORY.has(this.parent(1))) return this.blockRank;
    const territory = attribute(this.attributes, 'ApplicableTerritoryCode');
    return territory === undefined || territory === 'Worldwide' ? WORLDWIDE_RANK : ONE_TERRITORY_RANK;
  }

  /** The local name `up` levels above the element on top (0: the element itself). */
  private parent(up: number): string {
    return this.stack[this.stack.length - 1 - up] ?? '';
  }

  private position(): SourcePosition {
    return { line: this.parser.line + 1, column: this.parser.column + 1 };
  }

  private problem(reason: DdexProblemReason, detail: string, at: SourcePosition, warning = false): DdexEvent {
    return { type: 'problem', problem: { file: this.file, line: at.line, column: at.column, reason, detail, fatal: false, ...(warning ? { warning } : {}) } };
  }

  private fail(reason: DdexProblemReason, detail: string): void {
    if (this.stopped) return;
    this.stopped = true;
    const at = this.position();
    this.ready.push({ type: 'problem', problem: { file: this.file, line: at.line, column: at.column, reason, detail, fatal: true } });
  }
}

function attribute(attributes: Record<string, QualifiedAttribute>, local: string): string | undefined {
  for (const key in attributes) if (attributes[key]!.local === local) return attributes[key]!.value;
  return undefined;
}

/**
 * A copy of the text that holds nothing else. sax hands out slices of the input chunk, and V8
 * keeps a whole chunk alive for as long as any slice of it is kept: storing those slices
 * would hold the entire document in memory.
 */
function detached(text: string): string {
  return (` ${text}`).slice(1);
}

function territoryCode(text: string): string {
  return text === 'Worldwide' ? text : text.toUpperCase();
}

function addOnce(list: string[], value: string): void {
  if (value && !list.includes(value)) list.push(value);
}

function rejectionNote(rejected: string[]): string {
  return rejected.length > 0 ? ` (${rejected.join('; ')})` : '';
}

/** The object without its undefined properties, so optional fields are absent rather than undefined. */
function definedOnly<T extends Record<string, unknown>>(values: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** ISO 8601 duration (PT3M45S, PT1H2M21S) to whole seconds. */
function durationSeconds(text: string): number | undefined {
  const m = ISO_DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [, days, hours, minutes, seconds] = m;
  return Math.round(Number(days ?? 0) * 86_400 + Number(hours ?? 0) * 3_600 + Number(minutes ?? 0) * 60 + Number(seconds ?? 0));
}

/** xs:dateTime; one without a zone is read as UTC. */
function dateTime(text: string): Date | undefined {
  const m = DATE_TIME.exec(text);
  if (!m || !isCalendarDay(text.slice(0, 10))) return undefined;
  const ms = Date.parse(m[1] ? text : `${text}Z`);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}

/** Date.parse rolls 2026-02-30 over to March; a deal date that does not exist is an error. */
function isCalendarDay(yyyyMmDd: string): boolean {
  const day = new Date(`${yyyyMmDd}T00:00:00Z`);
  return !Number.isNaN(day.getTime()) && day.toISOString().startsWith(yyyyMmDd);
}

/**
 * A ValidityPeriod bound as an instant. Dates carry no time zone and are read as UTC days,
 * one policy for every territory (a DE deal ends at midnight UTC, not Berlin's). A StartDate
 * starts at the first instant of its day; an EndDate is the deal's last day, so the deal ends
 * at the first instant of the next day, when a deal starting that day takes over without a
 * gap. Date-times are instants already: EndDateTime is the moment the deal stops.
 */
function dealInstant(text: string, edge: 'start' | 'end'): Date | undefined {
  const day = DATE_ONLY.exec(text);
  if (!day) return dateTime(text);
  const [, yyyyMmDd, zone] = day;
  if (!yyyyMmDd || !isCalendarDay(yyyyMmDd)) return undefined;
  const start = Date.parse(`${yyyyMmDd}T00:00:00${zone ?? 'Z'}`);
  return new Date(edge === 'start' ? start : start + DAY_MS);
}
