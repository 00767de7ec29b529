// The root element (message type and ERN version) and the MessageHeader, handed over as soon
// as it is read.
import type { QualifiedTag } from 'sax';
import type { DdexMessageHeader } from '../../catalogue/ddex.js';
import type { ErnState, HandlerTable } from './state.js';
import { textProblem } from '../../catalogue/storable.js';
import { attribute, dateTime } from './values.js';

/** http://ddex.net/xml/ern/382, http://ddex.net/xml/ern/43 */
const ERN_NAMESPACE_VERSION = /\/ern\/(\d{2,3})\/?$/;
/** MessageSchemaVersionId: ern/382, /ern/382 */
const ERN_ATTRIBUTE_VERSION = /^\/?ern\/(\d{2,3})$/;
const SUPPORTED_VERSION = /^(3\.8(\.\d)?|4\.\d(\.\d)?)$/;

export function openRoot(state: ErnState, tag: QualifiedTag): void {
  if (tag.local !== 'NewReleaseMessage' && tag.local !== 'PurgeReleaseMessage') {
    return state.fail('unsupported_message_type', `root element ${tag.name} is not an ERN NewReleaseMessage or PurgeReleaseMessage`);
  }
  const declared = attribute(tag.attributes, 'MessageSchemaVersionId');
  const digits = ERN_NAMESPACE_VERSION.exec(tag.uri)?.[1] ?? ERN_ATTRIBUTE_VERSION.exec(declared?.trim() ?? '')?.[1];
  const version = digits?.split('').join('.');
  if (!version || !SUPPORTED_VERSION.test(version)) {
    return state.fail('unsupported_schema_version', `ERN version ${version ?? 'unknown'} (namespace ${JSON.stringify(tag.uri)}, MessageSchemaVersionId ${JSON.stringify(declared ?? null)}) is not 3.8.x or 4.x`);
  }
  state.messageType = tag.local;
  state.schemaVersion = version;
}

export const headerHandlers: HandlerTable = {
  MessageId: {
    close(state, text) {
      if (state.parent(1) === 'MessageHeader') state.header.messageId = text;
    },
  },
  MessageThreadId: {
    close(state, text) {
      if (state.parent(1) === 'MessageHeader') state.header.messageThreadId = text;
    },
  },
  PartyId: {
    close(state, text) {
      const parent = state.parent(1);
      if (parent === 'MessageSender') state.header.senderPartyId ??= text;
      else if (parent === 'MessageRecipient') state.header.recipientPartyId ??= text;
    },
  },
  MessageCreatedDateTime: {
    close(state, text) {
      if (state.parent(1) === 'MessageHeader') state.header.createdAt = text;
    },
  },
  MessageHeader: {
    close(state) {
      if (state.stack.length === 2) finishHeader(state);
    },
  },
};

function finishHeader(state: ErnState): void {
  const { senderPartyId, recipientPartyId, messageId, messageThreadId, createdAt: createdText } = state.header;
  const createdAt = createdText ? dateTime(createdText) : undefined;
  if (!senderPartyId || !messageId || !createdAt || !state.messageType) {
    const missing = [!senderPartyId && 'MessageSender/PartyId', !messageId && 'MessageId', !createdAt && 'a valid MessageCreatedDateTime'];
    return state.fail('invalid_header', `MessageHeader lacks ${missing.filter(Boolean).join(', ')}`);
  }
  const unstorable = Object.entries(state.header).find(([, text]) => text !== undefined && textProblem(text) !== undefined);
  if (unstorable) return state.fail('invalid_header', `MessageHeader ${unstorable[0]} ${JSON.stringify(unstorable[1])} ${textProblem(unstorable[1]!)}`);
  const header: DdexMessageHeader = {
    messageType: state.messageType, schemaVersion: state.schemaVersion, senderPartyId, messageId, createdAt,
    ...(messageThreadId ? { messageThreadId } : {}), ...(recipientPartyId ? { recipientPartyId } : {}),
  };
  state.headerRead = true;
  state.ready.push({ type: 'header', header });
}
