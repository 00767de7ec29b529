// What a DDEX ERN message (docs/feeds.md "DDEX ERN messages") is read into by src/parse/ddex/, and
// what apply/ and db/ take from it: compact, typed facts, never XML. Release and resource references (R1, A1) only link
// items inside one message, so none of them survive into this model.

export type ErnMessageType = 'NewReleaseMessage' | 'PurgeReleaseMessage';

export interface DdexMessageHeader {
  messageType: ErnMessageType;
  /** Dotted ERN version, from the root namespace or MessageSchemaVersionId: '3.8.2', '4.3'. */
  schemaVersion: string;
  /** MessageSender/PartyId (a DPID): the `source` every key of this message lives under. */
  senderPartyId: string;
  messageId: string;
  /** MessageThreadId, when sent: an acknowledgement carries it back (src/ingest/ddex-ack-xml.ts). */
  messageThreadId?: string;
  /** The first MessageRecipient/PartyId, when sent: who the sender addressed. */
  recipientPartyId?: string;
  /** MessageCreatedDateTime: orders one sender's messages; an older one never undoes a newer one. */
  createdAt: Date;
}

export interface ProprietaryId {
  namespace: string;
  value: string;
}

/**
 * A release's keys, at least one of them present. Senders do not repeat every key in every
 * message (a purge may name only the ICPN), so a lookup should try each.
 */
export interface DdexReleaseIds {
  /** Upper case, hyphens removed. */
  grid?: string;
  /** UPC/EAN, digits only, 12 to 14 of them, leading zeros kept as sent. */
  icpn?: string;
  proprietaryIds: ProprietaryId[];
}

/** 1-based; for an element, where its start tag ends. */
export interface SourcePosition {
  line: number;
  column: number;
}

/**
 * A deal's territories as DDEX lists them: TerritoryCode (included) or ExcludedTerritoryCode
 * (everywhere but these), never both. Codes are upper-case ISO 3166-1 alpha-2 or 'Worldwide'.
 */
export interface DealTerritories {
  readonly kind: 'included' | 'excluded';
  readonly codes: readonly string[];
}

/**
 * One deal for one validity period: a Deal with several ValidityPeriods is read as several
 * DdexDeals with the same terms, so every deal has one window. Read-only: identical deals are
 * one shared object, across releases too.
 */
export interface DdexDeal {
  /** UseType values as sent (OnDemandStream, PermanentDownload, ...); UserDefined stays 'UserDefined'. */
  readonly useTypes: readonly string[];
  readonly commercialModelTypes: readonly string[];
  readonly territories: DealTerritories;
  /** First instant the deal applies; absent: it always has. */
  readonly validFrom?: Date;
  /** First instant the deal no longer applies; absent: open-ended. See dealInstant in src/parse/ddex/values.ts. */
  readonly validUntil?: Date;
  /** ERN 3 DealTerms/TakeDown (or AllDealsCancelled) is true: its territories are taken down. */
  readonly takeDown: boolean;
  /** Its DistributionChannel names other services only (src/parse/ddex/validity.ts): it makes nothing available here. */
  readonly otherChannels?: true;
}

/** A SoundRecording the release references; keyed by ISRC. */
export interface DdexTrack {
  /** Upper case, hyphens removed, checked against the ISRC shape. */
  isrc: string;
  title?: string;
  /** SubTitle: the version ("Radio Edit"), for displayTitle (docs/feeds.md "Displayed titles"). */
  version?: string;
  displayArtist?: string;
  durationSeconds?: number;
  /** ParentalWarningType is Explicit. */
  explicit: boolean;
  /**
   * Deals of the track-level releases of this recording (ERN 4 TrackRelease, ERN 3 Release of
   * ReleaseType TrackRelease). They add to the release's own deals: streaming the album
   * streams the track, and a track deal licenses the track on its own.
   */
  trackReleaseDeals: DdexDeal[];
}

export interface DdexRelease {
  ids: DdexReleaseIds;
  title?: string;
  version?: string;
  displayArtist?: string;
  label?: string;
  explicit: boolean;
  /** As sent (ISO date, sometimes only a year). */
  releaseDate?: string;
  /** Sound recordings only, in the order the release lists them; images, videos and texts are left out. */
  tracks: DdexTrack[];
  /** Every deal of this message for this release: the whole current truth, replacing earlier ones. */
  deals: DdexDeal[];
  position: SourcePosition;
  /**
   * Values the parser took out because the catalogue's columns cannot hold them (src/parse/ddex/storable.ts),
   * each named with its reason: the release applies without them only as a takedown (src/apply/ddex-refused.ts).
   */
  refused?: string[];
}

export interface DdexPurgedRelease {
  ids: DdexReleaseIds;
  position: SourcePosition;
}

export type DdexProblemReason =
  /** Not well-formed XML, or not UTF-8. */
  | 'malformed_xml'
  /** Any DOCTYPE: DDEX never needs one, and it is how XXE and entity-expansion attacks start. */
  | 'doctype_refused'
  | 'unsupported_message_type'
  | 'unsupported_schema_version'
  /** MessageHeader lacks the sender, the message id or a valid creation time. */
  | 'invalid_header'
  /** A value or the nesting is far larger than any real message needs. */
  | 'limit_exceeded'
  /** A release with no usable GRid, ICPN or namespaced ProprietaryId. */
  | 'missing_release_id'
  /** A deal that cannot be evaluated (bad date, no territory, both territory lists). */
  | 'invalid_deal'
  /** A sound recording without a usable ISRC: left out of its releases. */
  | 'invalid_track'
  /** A track-level release whose recordings are on no main release of the message. */
  | 'orphan_track_release'
  /** An identifier that is malformed beside a valid one: skipped, a warning; the item applies under the valid one. */
  | 'invalid_identifier'
  /** A value its catalogue column cannot hold (no calendar day, out of an integer's range, a NUL): a takedown applies without it, with a warning; any other release is quarantined. */
  | 'unstorable_value';

/** A quarantine record: where, and why. */
export interface DdexProblem {
  file: string;
  line: number;
  column: number;
  reason: DdexProblemReason;
  detail: string;
  /**
   * The whole file is rejected: nothing from it may be applied. The parser yields no release or
   * purge from a file with a fatal problem, because it yields them only once the document has
   * been read to its end.
   */
  fatal: boolean;
  /** Not a quarantine but a warning: the item it is about applied anyway. */
  warning?: boolean;
}

export type DdexParsedItem =
  | { type: 'header'; header: DdexMessageHeader }
  | { type: 'release'; release: DdexRelease }
  | { type: 'purge'; purge: DdexPurgedRelease }
  | { type: 'problem'; problem: DdexProblem };
