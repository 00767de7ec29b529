// Streams a DDEX ERN 3.8.x or 4.x NewReleaseMessage or PurgeReleaseMessage (docs: "Label XML
// feeds") into typed parsed items (DdexParsedItem): the header as soon as it is read, then one complete DdexRelease
// (metadata, tracks, deals) or DdexPurgedRelease at a time, plus quarantine records.
//
// This file wires sax to the element handlers; each concern reads its own elements
// (header.ts, resources.ts, item-fields.ts, releases.ts, deals.ts) into the shared state
// (state.ts), and assembly.ts completes the releases once the document has been read.
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
// well-formed, so a truncated or malformed file never half-applies (docs/design.md invariant 5).
//
// Security. DDEX never uses a DOCTYPE, so any DOCTYPE rejects the file: that is how XXE and
// entity-expansion ("billion laughs") attacks begin. sax never fetches external entities, and
// with strictEntities it knows only the five XML entities; no other is ever expanded.
import sax from 'sax';
import type { QualifiedTag, SAXOptions, SAXParser } from 'sax';
import { assembledChanges } from './assembly.js';
import { dealHandlers } from './deals.js';
import { headerHandlers, openRoot } from './header.js';
import { itemFieldHandlers } from './item-fields.js';
import type { DdexParsedItem } from '../../catalogue/ddex.js';
import { releaseHandlers } from './releases.js';
import { resourceHandlers } from './resources.js';
import { ErnState, type DdexReadOptions, type ElementHandler, type HandlerTable } from './state.js';
import { detached } from './values.js';

/** Far beyond any real title or identifier; a longer value is an attack or a broken file. */
const MAX_VALUE_CHARS = 64 * 1024;
/** ERN nests about 10 deep; sax keeps every open tag, so a deeper file is refused. */
const MAX_DEPTH = 64;

/** Leaf elements whose text this reader uses; all other text is dropped as it streams past. */
const CAPTURED: ReadonlySet<string> = new Set([
  'MessageId', 'MessageThreadId', 'PartyId', 'MessageCreatedDateTime', 'PartyReference', 'FullName',
  'ISRC', 'ResourceReference', 'Duration', 'TitleText', 'SubTitle', 'DisplayTitleText',
  'DisplayArtistName', 'ArtistPartyReference', 'ParentalWarningType', 'LabelName', 'ReleaseLabelReference',
  'ReleaseDate', 'OriginalReleaseDate', 'GlobalReleaseDate', 'GlobalOriginalReleaseDate',
  'GRid', 'ICPN', 'ProprietaryId', 'ReleaseReference', 'ReleaseResourceReference', 'ReleaseType',
  'TerritoryCode', 'ExcludedTerritoryCode', 'DealReleaseReference', 'UseType', 'CommercialModelType',
  'StartDate', 'EndDate', 'StartDateTime', 'EndDateTime', 'TakeDown', 'AllDealsCancelled',
]);

/** Every concern's handlers, by element name. */
const HANDLERS: ReadonlyMap<string, readonly ElementHandler[]> = combine([
  headerHandlers, resourceHandlers, itemFieldHandlers, releaseHandlers, dealHandlers,
]);

/** Whether a DOCTYPE rejects the file. Only the test that proves entities are never expanded turns it off. */
export interface ReaderSafety {
  refuseDoctype: boolean;
}

/**
 * Reads one ERN message. Yields its header first, then (once the whole document has been
 * read) its releases or purged releases in document order, with non-fatal problems. A fatal
 * problem ends the iteration. Errors of `input` itself (I/O, gzip) are thrown unchanged.
 */
export async function* readDdexMessage(
  input: AsyncIterable<Uint8Array | string>, file: string, options: DdexReadOptions = {}, safety: ReaderSafety = { refuseDoctype: true },
): AsyncGenerator<DdexParsedItem, void, undefined> {
  const reader = new ErnReader(file, options, safety);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of input) {
    reader.write(chunk, decoder);
    yield* reader.drain();
    if (reader.state.stopped) return;
  }
  reader.end(decoder);
  yield* reader.drain();
  if (!reader.state.stopped) yield* assembledChanges(reader.state);
}

class ErnReader {
  readonly state: ErnState;
  private readonly parser: SAXParser;
  private capturing = false;
  private text = '';

  constructor(file: string, options: DdexReadOptions, safety: ReaderSafety) {
    this.parser = sax.parser(true, { xmlns: true, position: true, strictEntities: true } as SAXOptions);
    this.state = new ErnState(file, options, () => ({ line: this.parser.line + 1, column: this.parser.column + 1 }));
    this.parser.onerror = (err) => this.state.fail('malformed_xml', err.message.split('\n')[0] ?? 'not well-formed XML');
    if (safety.refuseDoctype) {
      this.parser.ondoctype = () => this.state.fail('doctype_refused', 'has a DOCTYPE; DDEX messages never do, and external or nested entities are refused');
    }
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
      return this.state.fail('malformed_xml', 'is not valid UTF-8');
    }
    this.parser.write(text);
  }

  end(decoder: TextDecoder): void {
    const state = this.state;
    let rest: string;
    try {
      rest = decoder.decode();
    } catch {
      return state.fail('malformed_xml', 'ends inside a UTF-8 character');
    }
    if (rest) this.parser.write(rest);
    if (state.stopped) return;
    this.parser.close();
    if (!state.stopped && !state.rootClosed) state.fail('malformed_xml', 'is empty or ends before its root element closes');
    if (!state.stopped && !state.headerRead) state.fail('invalid_header', 'has no MessageHeader');
  }

  *drain(): Generator<DdexParsedItem> {
    while (this.state.ready.length > 0) yield this.state.ready.shift()!;
  }

  private onOpen(tag: QualifiedTag): void {
    const state = this.state;
    if (state.stopped) return;
    state.stack.push(tag.local);
    if (state.stack.length > MAX_DEPTH) return state.fail('limit_exceeded', `nests elements more than ${MAX_DEPTH} deep`);
    state.attributes = tag.attributes;
    this.capturing = CAPTURED.has(tag.local);
    this.text = '';
    if (state.stack.length === 1) return openRoot(state, tag);
    for (const handler of HANDLERS.get(tag.local) ?? []) handler.open?.(state, tag);
  }

  private onText(text: string): void {
    if (this.state.stopped || !this.capturing) return;
    this.text += text;
    if (this.text.length > MAX_VALUE_CHARS) this.state.fail('limit_exceeded', `<${this.state.parent(0)}> holds more than ${MAX_VALUE_CHARS} characters`);
  }

  /** Files what an element held while the stack still has it on top. */
  private onClose(): void {
    const state = this.state;
    if (state.stopped) return;
    const text = this.capturing ? detached(this.text.replace(/\s+/g, ' ').trim()) : '';
    this.capturing = false;
    for (const handler of HANDLERS.get(state.parent(0)) ?? []) handler.close?.(state, text);
    if (state.stack.length === 1) state.rootClosed = true;
    state.stack.pop();
  }

  private checkDeclaration(pi: { name: string; body: string }): void {
    const encoding = /encoding\s*=\s*["']([^"']+)["']/.exec(pi.body)?.[1];
    if (pi.name === 'xml' && encoding && !/^utf-?8$/i.test(encoding)) this.state.fail('malformed_xml', `declares encoding ${encoding}; only UTF-8 is read`);
  }
}

function combine(tables: readonly HandlerTable[]): Map<string, ElementHandler[]> {
  const byName = new Map<string, ElementHandler[]>();
  for (const table of tables) {
    for (const [name, handler] of Object.entries(table)) byName.set(name, [...(byName.get(name) ?? []), handler]);
  }
  return byName;
}
