// Cuts a feed's text into records before any field is read, so that a structural error
// stays inside the record it is in (README "Bad input"). Quote parity is tracked per
// physical line: a quoted field may hold line breaks, but when an open quote runs into a
// physical line that starts like a record of this feed, or into the end of the file, the
// record it opened is broken: it is reported with the line where it starts and its text,
// and the line that looked like a record starts the next one. One pass, streaming.
import type { Readable } from 'node:stream';

/** One record: where it starts, its text (line breaks inside quotes kept), or why it is broken. */
export interface SplitRecord {
  line: number;
  raw: string;
  /** Set when the record's quotes do not close: its fields cannot be trusted. */
  broken?: string;
}

export interface RecordSplitterOptions {
  /** An open record longer than this is broken (bounds memory on a runaway quote). */
  maxRecordChars: number;
}

/** The header line is looked for in the first this-many characters. */
export const MAX_HEADER_CHARS = 64 * 1024;

/**
 * Yields the header (the first non-blank physical line) and then each record. Blank lines
 * between records are not records. After the header, call `recognise` with the test for
 * "this line starts a record": until then an open quote runs to the end of the file.
 */
export class RecordSplitter {
  private startsRecord: (line: string) => boolean = () => false;

  constructor(private readonly input: Readable, private readonly options: RecordSplitterOptions) {}

  recognise(startsRecord: (line: string) => boolean): void {
    this.startsRecord = startsRecord;
  }

  async *records(): AsyncGenerator<SplitRecord> {
    const decoder = new TextDecoder('utf-8');
    let carry = '';
    let lineNo = 0;
    let open: { line: number; text: string } | undefined;
    let headerSeen = false;
    // A file whose first line ends in a bare CR uses CR alone as its line break.
    let breaks: RegExp | undefined;
    const self = this;

    function* take(text: string, terminator: string): Generator<SplitRecord> {
      lineNo++;
      if (open) {
        if (self.startsRecord(text)) {
          yield brokenRecord(open, `a quoted field opened on line ${open.line} is not closed before line ${lineNo}, which starts a new record`);
          open = undefined;
        } else {
          open.text += terminator + text;
          if (quoteCount(text) % 2 === 1) {
            yield { line: open.line, raw: open.text };
            open = undefined;
          } else if (open.text.length > self.options.maxRecordChars) {
            yield brokenRecord(open, `a quoted field opened on line ${open.line} is still open after ${self.options.maxRecordChars} characters`);
            open = undefined;
          }
          return;
        }
      }
      if (text === '') return;
      // The header is one physical line whatever its quotes: a name holds no line break.
      if (!headerSeen) {
        headerSeen = true;
        yield { line: lineNo, raw: text };
      } else if (quoteCount(text) % 2 === 0) yield { line: lineNo, raw: text };
      else open = { line: lineNo, text };
    }

    let previousTerminator = '';
    for await (const chunk of this.input as AsyncIterable<Buffer>) {
      carry += decoder.decode(chunk, { stream: true });
      breaks ??= lineBreaks(carry);
      if (!breaks) {
        if (carry.length <= MAX_HEADER_CHARS) continue;
        yield { line: 1, raw: carry.slice(0, MAX_HEADER_CHARS), broken: 'no line break in the first 64 KiB' };
        return;
      }
      let from = 0;
      breaks.lastIndex = 0;
      for (let m = breaks.exec(carry); m; m = breaks.exec(carry)) {
        // A CR at the very end of the text may be the first half of a CRLF: wait for more.
        if (m[0] === '\r' && m.index === carry.length - 1) break;
          yield* take(carry.slice(from, m.index), previousTerminator);
        previousTerminator = m[0];
        from = m.index + m[0].length;
      }
      carry = carry.slice(from);
    }
    carry += decoder.decode();
    if (carry.endsWith('\r')) carry = carry.slice(0, -1);
    if (carry !== '') yield* take(carry, previousTerminator);
    if (open) yield brokenRecord(open, `a quoted field opened on line ${open.line} is not closed before the end of the file`);
  }
}

function brokenRecord(open: { line: number; text: string }, reason: string): SplitRecord {
  return { line: open.line, raw: open.text, broken: reason };
}

/** The line break pattern, once the text shows its first break; undefined until then. */
function lineBreaks(text: string): RegExp | undefined {
  const first = /\r\n|\n|\r(?=[^\n])/.exec(text);
  if (!first) return undefined;
  return first[0] === '\r' ? /\r\n|\r|\n/g : /\r?\n/g;
}

function quoteCount(text: string): number {
  let n = 0;
  for (let i = text.indexOf('"'); i !== -1; i = text.indexOf('"', i + 1)) n++;
  return n;
}
