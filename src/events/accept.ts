// The one accept path of Catalogue Events, whether a body arrives over HTTP
// (src/events/receiver.ts) or from a redrive file (src/events/import.ts): the body is
// validated whole, then every item is stored in the inbox with its own run, or the body is
// recorded as rejected with every reason (its run rejected: src/db/events.ts). The receiver
// stores through a group commit, the import body by body (src/events/group-store.ts).
import { createHash } from 'node:crypto';
import { storableText } from '../catalogue/storable.js';
import type { IncomingItem, StoreOutcome } from '../db/events.js';
import type { InboxWriter } from './group-store.js';
import { validateBody, type BodyItem, type BodyValidation, type EndpointKind } from './model.js';
import { eventChangeVersion } from './version.js';

/** A body as it arrived, inflated. */
export interface ArrivedBody {
  endpoint: EndpointKind;
  source: string;
  text: string;
  gzip: boolean;
  receivedAt: Date;
  /** From the verified token, when there was one. */
  iat?: Date;
  jti?: string;
  /** Milliseconds from the arrival to the store, read when the store (its group's) starts. */
  ackMs: () => number;
  /** Aborted when the answer is no longer awaited: a store not started yet is dropped. */
  signal?: AbortSignal;
  /** What the recorded reason starts with (an imported body's file and line). */
  reasonPrefix?: string;
}

export type AcceptOutcome =
  | { accepted: true; items: BodyItem[]; outcomes: StoreOutcome[] }
  | { accepted: false; reason: string; reasons: string[] };

export async function acceptBody(inbox: InboxWriter, body: ArrivedBody): Promise<AcceptOutcome> {
  const sha256 = createHash('sha256').update(body.text).digest('hex');
  const bytes = Buffer.byteLength(body.text);
  const checked = checkBody(body.endpoint, body.text);
  if (!checked.ok) {
    // What is refused is on record even when it holds what text cannot (a NUL in invalid JSON): escaped.
    const reason = storableText(`${body.reasonPrefix ?? ''}${checked.reasons.join('; ')}`);
    await inbox.reject({
      endpoint: body.endpoint, source: body.source, body: storableText(body.text), sha256, bytes, gzip: body.gzip, receivedAt: body.receivedAt, reason, ackMs: body.ackMs(),
    });
    return { accepted: false, reason, reasons: checked.reasons };
  }
  const outcomes = await inbox.store({
    endpoint: body.endpoint, source: body.source, gzip: body.gzip, receivedAt: body.receivedAt, iat: body.iat, jti: body.jti, ackMs: body.ackMs,
  }, checked.items.map(storable), body.signal);
  return { accepted: true, items: checked.items, outcomes };
}

/** The body's items, or every reason it is refused (the whole request: see validateBody). */
function checkBody(endpoint: EndpointKind, text: string): BodyValidation {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    return { ok: false, reasons: [`invalid JSON: ${(err as Error).message}`] };
  }
  const validation = validateBody(endpoint, parsed);
  return validation.ok ? validation : { ok: false, reasons: validation.reasons.map((r) => `schema: ${r}`) };
}

/** An item as the inbox stores it, hashed on its own text so a repeat of it alone is a duplicate. */
export function storable(item: BodyItem): IncomingItem {
  return {
    itemId: item.key.itemId, version: item.key.version, changeVersion: eventChangeVersion(item.key.version), takedown: item.key.takedown,
    test: item.key.test, body: item.text, sha256: createHash('sha256').update(item.text).digest('hex'), bytes: Buffer.byteLength(item.text),
  };
}
