// The acknowledgement file of one DDEX message (issue 27), in the structure of the ERN
// choreography for SFTP batches (ERN-C 1.8 `AcknowledgementMessage`, named
// `ErnAcknowledgementStatusMessage` up to ERN-C 1.7): our header (the message's
// MessageThreadId, our PartyId as MessageSender, the label's as MessageRecipient), one
// ReleaseStatus with its Acknowledgement of the message (MessageType, BatchId, MessageId) and
// one MessageStatus for the outcome, then one per problem (Status from the standard's file
// status values, Information: where in the XML and why). Everything the sender wrote is cut
// short and XML-escaped, so no message can make the file large or inject markup. docs/feeds.md.

/** Namespace of the ERN choreography for SFTP (cloud storage), version 1.8, as its XSD declares it. */
export const ACK_NAMESPACE = 'http://ddex.net/xml/ern-c-sftp/18';
/** The Allowed Value Sets version the Status and ReleaseStatus values are from. */
const AVS_VERSION = '4';
/** Longest text quoted from a message (ids, file names, problem details), in characters. */
export const MAX_QUOTED_CHARS = 300;
/** Problems listed one by one; the rest are counted. */
export const MAX_LISTED_PROBLEMS = 25;

export type AckOutcome = 'applied' | 'applied_with_warnings' | 'quarantined' | 'rejected';

export interface AckProblemLine {
  line: number;
  column: number | null;
  reason: string;
  detail: string;
  warning: boolean;
}

export interface AckDocument {
  ackMessageId: string;
  createdAt: Date;
  /** Our PartyId (FEEDLINE_DDEX_RECIPIENT_PARTY_ID, else the message's MessageRecipient). */
  senderPartyId: string;
  /** The label: the acknowledged message's MessageSender. */
  recipientPartyId: string;
  messageThreadId: string | undefined;
  messageId: string;
  messageType: string;
  messageFileName: string;
  batchId: string;
  outcome: AckOutcome;
  /** What applied, or why the message was rejected: our own words. */
  summary: string;
  problems: AckProblemLine[];
  /** Problems on record beyond those listed. */
  moreProblems: number;
}

/** The standard's file status (avs:ErncFileStatus) for each of our problem reasons. */
const FILE_STATUS: Record<string, string> = {
  malformed_xml: 'NewReleaseMessageInvalid',
  doctype_refused: 'NewReleaseMessageInvalid',
  limit_exceeded: 'NewReleaseMessageInvalid',
  unsupported_message_type: 'NewReleaseMessageInvalid',
  unsupported_schema_version: 'NewReleaseMessageInvalid',
  invalid_deal: 'NewReleaseMessageInvalid',
  invalid_header: 'MetadataMissing',
  missing_release_id: 'MetadataMissing',
  orphan_track_release: 'MetadataMissing',
  invalid_track: 'IdentifierSyntaxInvalid',
  invalid_identifier: 'IdentifierSyntaxInvalid',
};

export function fileStatus(reason: string): string {
  return FILE_STATUS[reason] ?? 'NewReleaseMessageInvalid';
}

/** Characters XML 1.0 cannot carry at all (control characters, lone surrogates, U+FFFE/F). */
const NOT_XML = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Sender text made safe to quote: XML-illegal characters dropped, cut to `max` characters, escaped. */
export function quote(text: string, max = MAX_QUOTED_CHARS): string {
  const chars = Array.from(text.slice(0, max * 2).replace(NOT_XML, ''));
  const cut = chars.length > max ? `${chars.slice(0, max).join('')}… (cut)` : chars.join('');
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

function element(name: string, text: string | undefined, indent: string): string {
  return text === undefined ? '' : `${indent}<${name}>${quote(text)}</${name}>\n`;
}

function problemLine(p: AckProblemLine): string {
  const at = `line ${p.line}${p.column === null ? '' : `, column ${p.column}`}`;
  return `${p.warning ? 'warning' : 'quarantined'} ${p.reason} at ${at}: ${p.detail}`;
}

/** The overall Status: FileOK when everything applied, else the first problem's. */
function overallStatus(doc: AckDocument): string {
  if (doc.outcome === 'applied' || doc.outcome === 'applied_with_warnings') return 'FileOK';
  const first = doc.problems.find((p) => !p.warning);
  return first ? fileStatus(first.reason) : 'NewReleaseMessageInvalid';
}

export function renderAck(doc: AckDocument): string {
  const ok = doc.outcome === 'applied' || doc.outcome === 'applied_with_warnings';
  const statuses = [
    { status: overallStatus(doc), information: `${doc.outcome}: ${doc.summary}` },
    ...doc.problems.map((p) => ({ status: p.warning ? 'FileOK' : fileStatus(p.reason), information: problemLine(p) })),
    ...(doc.moreProblems > 0 ? [{ status: overallStatus(doc), information: `and ${doc.moreProblems} more problem(s) on record (feedline quarantine)` }] : []),
  ];
  const i = (n: number) => '  '.repeat(n);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<ern-c-sftp:AcknowledgementMessage xmlns:ern-c-sftp="${ACK_NAMESPACE}" AvsVersionId="${AVS_VERSION}">\n`,
    `${i(1)}<MessageHeader>\n`,
    element('MessageThreadId', doc.messageThreadId, i(2)),
    element('MessageId', doc.ackMessageId, i(2)),
    element('MessageFileName', doc.messageFileName, i(2)),
    `${i(2)}<MessageSender>\n${element('PartyId', doc.senderPartyId, i(3))}${i(2)}</MessageSender>\n`,
    `${i(2)}<MessageRecipient>\n${element('PartyId', doc.recipientPartyId, i(3))}${i(2)}</MessageRecipient>\n`,
    element('MessageCreatedDateTime', doc.createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), i(2)),
    `${i(1)}</MessageHeader>\n`,
    `${i(1)}<ReleaseStatus>\n`,
    `${i(2)}<ReleaseId/>\n`,
    element('ReleaseStatus', ok ? 'SuccessfullyIngestedByReleaseDistributor' : 'ProcessingErrorAtReleaseDistributor', i(2)),
    ok ? '' : element('ErrorText', doc.summary, i(2)),
    ok ? '' : element('ManualCheckRequired', 'true', i(2)),
    `${i(2)}<Acknowledgement>\n`,
    element('MessageType', doc.messageType, i(3)),
    element('BatchId', doc.batchId, i(3)),
    element('MessageId', doc.messageId, i(3)),
    ...statuses.map((s) => `${i(3)}<MessageStatus>\n${element('Status', s.status, i(4))}${element('Information', s.information, i(4))}${i(3)}</MessageStatus>\n`),
    `${i(2)}</Acknowledgement>\n`,
    `${i(1)}</ReleaseStatus>\n`,
    '</ern-c-sftp:AcknowledgementMessage>\n',
  ].join('');
}

/** ACK_<message file name without .xml / .xml.gz>.xml; a later outcome of the same message gets _2, _3 and on. */
export function ackFileName(messageFile: string, earlierAcks: number): string {
  const stem = messageFile.replace(/\.xml(\.gz)?$/i, '');
  return `ACK_${stem}${earlierAcks > 0 ? `_${earlierAcks + 1}` : ''}.xml`;
}
