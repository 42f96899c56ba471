/**
 * A streaming RFC 4180 tokenizer for CSV and TSV, fed decoded text chunk by chunk.
 *
 * Why not csv-parse: it is well kept and complete, but too slow for the profiling and drift
 * budgets (1M x 20 CSV in seconds): it goes byte by byte through a general state machine with
 * many options, builds every field in a resizable buffer and decodes it separately, and hands
 * records over one stream event each. Here a field without quotes is one `slice` of the chunk's
 * string, a quoted field is built only when it holds doubled quotes, and records of a chunk come
 * back in one array.
 *
 * Grammar (RFC 4180, with the usual leniencies): fields are separated by one delimiter character;
 * a field that begins with `"` is quoted and may hold delimiters, newlines and doubled quotes
 * (`""` = `"`); records end with LF or CRLF (CR alone when the file's first line ends with a lone
 * CR, as old Mac exports do); lines with no characters are skipped; an empty field, quoted or not,
 * comes out as null. Strict mode refuses a quote inside an unquoted field and anything but a
 * delimiter or line end after a closing quote; relaxed mode (TSV) keeps such quotes as text, as
 * csv-parse's `relax_quotes` did. A record is limited to `maxRecordBytes` bytes of the input
 * (line end excluded), checked at every chunk end too, so an endless line or an unclosed quote
 * cannot hold more than that in memory.
 */

export type CsvRecord = (string | null)[];

export type CsvTokenizerOptions = {
  /** One character (',' or '\t' usually). */
  delimiter: string;
  /** Keep stray quotes as text instead of refusing them. */
  relaxQuotes: boolean;
  maxRecordBytes: number;
};

/** A syntax error or an over-long record; `record` is the 0-based index of the record (header included), `line` 1-based. */
export class CsvSyntaxError extends Error {
  constructor(
    readonly kind: 'malformed' | 'too-long',
    message: string,
    readonly line: number,
    readonly record: number,
  ) {
    super(message);
    this.name = 'CsvSyntaxError';
  }
}

const LF = 10;
const CR = 13;
const QUOTE = 34;

/**
 * V8 returns a slice of 13 or more characters as a view on the whole chunk string, which would
 * keep the chunk (256 KiB or more) alive as long as the value is kept, e.g. as a key of a
 * distinct-value map. Such slices are copied; shorter ones are copied by V8 anyway.
 */
const VIEW_MIN_LENGTH = 13;

function detached(text: string, start: number, end: number): string {
  if (end - start < VIEW_MIN_LENGTH) return text.slice(start, end);
  // Flattening the concatenation copies the characters; the result is a view on that copy only.
  return (' ' + text.slice(start, end)).slice(1);
}

/** A standalone copy of a string built from pieces of chunks (a concatenation keeps its pieces). */
function copyOf(value: string): string {
  return value.length < VIEW_MIN_LENGTH ? value : (' ' + value).slice(1);
}

// Where a chunk may end inside a record.
type State =
  | 0 // FIELD: at the start of a field
  | 1 // UNQUOTED: inside an unquoted field, its text so far in `pending`
  | 2 // QUOTED: inside a quoted field, its unescaped text so far in `pending`
  | 3 // QUOTED_QUOTE: the chunk ended on a quote inside a quoted field (closing, or first of `""`)
  | 4 // CLOSED: after a closing quote, the field's value in `pending`
  | 5; // CLOSED_CR: after a closing quote and a CR
const FIELD = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTED_QUOTE = 3;
const CLOSED = 4;
const CLOSED_CR = 5;

export class CsvTokenizer {
  private readonly delimiter: number;
  private readonly relaxQuotes: boolean;
  private readonly maxRecordBytes: number;
  /** Record terminator: LF (CRLF included) or CR; 0 until the first line end tells. */
  private newline = 0;
  private detectInQuotes = false;
  /** Text held back while its last character, a CR, may be a CRLF or a CR line end. */
  private held = '';
  private heldBytes = 0;

  private state: State = FIELD;
  private pending = '';
  /** Fields of the current record so far, in `fields[0..count)`; rows are exact-size copies. */
  private readonly fields: CsvRecord = [];
  private count = 0;
  /** Bytes of the current record read in earlier chunks. */
  private carriedBytes = 0;
  private records = 0;
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;

  constructor(options: CsvTokenizerOptions) {
    if (options.delimiter.length !== 1) throw new RangeError('the delimiter must be one character');
    this.delimiter = options.delimiter.charCodeAt(0);
    if (this.delimiter === QUOTE || this.delimiter === LF || this.delimiter === CR) throw new RangeError('the delimiter cannot be a quote or a line end');
    this.relaxQuotes = options.relaxQuotes;
    this.maxRecordBytes = options.maxRecordBytes;
  }

  /**
   * Tokenises the next chunk of text, appending the records it completes to `out`. `byteLength`
   * is the chunk's size in the input (to enforce `maxRecordBytes`; equal to `text.length` when every
   * character is one byte). A chunk must not end inside a UTF-16 surrogate pair.
   */
  push(text: string, byteLength: number, out: CsvRecord[]): void {
    if (this.newline === 0) {
      if (this.held.length > 0) {
        text = this.held + text;
        byteLength += this.heldBytes;
        this.held = '';
        this.heldBytes = 0;
      }
      if (!this.detectNewline(text)) {
        // The chunk ends on a CR before any other line end: CRLF or CR alone tells the next chunk.
        this.held = text;
        this.heldBytes = byteLength;
        if (byteLength > this.maxRecordBytes) throw this.tooLong();
        return;
      }
    }
    const nl = this.newline === 0 ? LF : this.newline;
    const crlf = nl === LF;
    const delimiter = this.delimiter;
    const strict = !this.relaxQuotes;
    const oneBytePerChar = text.length === byteLength;
    const n = text.length;
    const fields = this.fields;
    let count = this.count;
    let state = this.state;
    let pending = this.pending;
    let line = this.line;
    let recordStart = 0;
    let fieldStart = 0;
    let i = 0;

    // Fast path: a whole line without quotes is split at the delimiters with indexOf (memchr-like).
    // Positions of the next line end, quote and delimiter are cached, so each is searched for once.
    const nlText = String.fromCharCode(nl);
    const delimiterText = String.fromCharCode(delimiter);
    let lineEndAt = -1;
    let quoteAt = -1;
    let delimiterAt = -1;

    while (i < n) {
      if (state === FIELD && count === 0) {
        if (lineEndAt < i) {
          lineEndAt = text.indexOf(nlText, i);
          if (lineEndAt < 0) lineEndAt = n;
        }
        if (quoteAt < i) {
          quoteAt = text.indexOf('"', i);
          if (quoteAt < 0) quoteAt = n;
        }
        if (lineEndAt < n && quoteAt > lineEndAt) {
          const lineEnd = lineEndAt;
          const end = crlf && lineEnd > i && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
          if (end > i) {
            let start = i;
            for (;;) {
              if (delimiterAt < start) {
                delimiterAt = text.indexOf(delimiterText, start);
                if (delimiterAt < 0) delimiterAt = n;
              }
              if (delimiterAt >= end) {
                fields[count++] = end > start ? detached(text, start, end) : null;
                break;
              }
              fields[count++] = delimiterAt > start ? detached(text, start, delimiterAt) : null;
              start = delimiterAt + 1;
            }
            this.checkLength(text, recordStart, end, oneBytePerChar, line);
            out.push(fields.slice(0, count));
            count = 0;
            this.records++;
          } // else a blank line
          line++;
          i = lineEnd + 1;
          recordStart = i;
          this.carriedBytes = 0;
          this.recordLine = line;
          continue;
        }
      }
      if (state === FIELD) {
        if (text.charCodeAt(i) === QUOTE) {
          state = QUOTED;
          this.quoteLine = line;
          fieldStart = ++i;
          continue;
        }
        state = UNQUOTED;
        fieldStart = i;
      }
      if (state === UNQUOTED) {
        let j = i;
        let c = 0;
        for (; j < n; j++) {
          c = text.charCodeAt(j);
          if (c === delimiter || c === nl) break;
          if (c === QUOTE && strict) {
            this.line = line;
            throw this.malformed('a quote inside an unquoted field (quote the field and double its quotes)');
          }
        }
        if (j === n) {
          pending += text.slice(fieldStart, n);
          break;
        }
        let end = j;
        if (c === nl) {
          // CRLF: the CR is part of the line end, not of the field.
          if (crlf && (end > fieldStart ? text.charCodeAt(end - 1) === CR : pending.length > 0 && pending.charCodeAt(pending.length - 1) === CR)) {
            if (end > fieldStart) end--;
            else pending = pending.slice(0, -1);
          }
          if (count === 0 && end === fieldStart && pending.length === 0) {
            // A blank line.
            line++;
            i = j + 1;
            recordStart = i;
            this.carriedBytes = 0;
            this.recordLine = line;
            state = FIELD;
            continue;
          }
        }
        fields[count++] = pending.length === 0 ? (end > fieldStart ? detached(text, fieldStart, end) : null) : copyOf(pending + text.slice(fieldStart, end));
        pending = '';
        i = j + 1;
        state = FIELD;
        if (c === nl) {
          this.checkLength(text, recordStart, end, oneBytePerChar, line);
          out.push(fields.slice(0, count));
          count = 0;
          this.records++;
          line++;
          recordStart = i;
          this.carriedBytes = 0;
          this.recordLine = line;
        }
        continue;
      }
      if (state === QUOTED) {
        let j = i;
        for (; j < n; j++) {
          const c = text.charCodeAt(j);
          if (c === QUOTE) break;
          if (c === nl) line++;
        }
        if (j === n) {
          pending += text.slice(fieldStart, n);
          break;
        }
        if (j + 1 === n) {
          pending += text.slice(fieldStart, j);
          state = QUOTED_QUOTE;
          break;
        }
        if (text.charCodeAt(j + 1) === QUOTE) {
          pending += text.slice(fieldStart, j + 1);
          fieldStart = i = j + 2;
          continue;
        }
        pending = pending.length === 0 ? detached(text, fieldStart, j) : copyOf(pending + text.slice(fieldStart, j));
        state = CLOSED;
        i = j + 1;
        continue;
      }
      if (state === QUOTED_QUOTE) {
        // Only at the start of a chunk.
        if (text.charCodeAt(i) === QUOTE) {
          pending += '"';
          fieldStart = ++i;
          state = QUOTED;
        } else {
          pending = copyOf(pending);
          state = CLOSED;
        }
        continue;
      }
      // CLOSED or CLOSED_CR: a delimiter or a line end must follow the closing quote.
      const c = text.charCodeAt(i);
      if (state === CLOSED && c === CR && crlf) {
        state = CLOSED_CR;
        i++;
        continue;
      }
      const endsRecord = state === CLOSED ? c === nl : c === LF;
      if (endsRecord || (state === CLOSED && c === delimiter)) {
        fields[count++] = pending.length === 0 ? null : pending;
        pending = '';
        if (endsRecord) {
          this.checkLength(text, recordStart, Math.max(recordStart, state === CLOSED ? i : i - 1), oneBytePerChar, line);
          out.push(fields.slice(0, count));
          count = 0;
          this.records++;
          line++;
          recordStart = i + 1;
          this.carriedBytes = 0;
          this.recordLine = line;
        }
        state = FIELD;
        i++;
        continue;
      }
      if (strict) {
        this.line = line;
        throw this.malformed(`a closing quote is followed by ${JSON.stringify(state === CLOSED_CR ? '\r' : text[i])} instead of a delimiter or a line end`);
      }
      // Relaxed: the field was not quoted after all; keep it as text, quotes included (as csv-parse does).
      pending = `"${pending}"${state === CLOSED_CR ? '\r' : ''}`;
      state = UNQUOTED;
      fieldStart = i;
    }

    // The chunk ended inside a record: count its bytes so far.
    if (recordStart < n || count > 0 || state !== FIELD) {
      this.carriedBytes += oneBytePerChar ? n - recordStart : Buffer.byteLength(text.slice(recordStart), 'utf8');
      if (this.carriedBytes > this.maxRecordBytes) {
        this.line = line;
        throw this.tooLong();
      }
    }
    this.count = count;
    this.state = state;
    this.pending = pending;
    this.line = line;
  }

  /** Ends the input, appending the last record if it has no line end. */
  end(out: CsvRecord[]): void {
    if (this.held.length > 0) {
      const held = this.held;
      this.held = '';
      this.newline = CR; // the text's first line end is its last character
      this.push(held, this.heldBytes, out);
    }
    let state = this.state;
    let pending = this.pending;
    if (state === QUOTED) throw this.malformed('a quoted field is not closed at the end of the file', this.quoteLine);
    if (state === CLOSED_CR) {
      if (!this.relaxQuotes) throw this.malformed('a closing quote is followed by "\\r" instead of a delimiter or a line end');
      pending = `"${pending}"\r`;
      state = UNQUOTED;
    }
    if (state === UNQUOTED && this.newline !== CR && pending.charCodeAt(pending.length - 1) === CR) pending = pending.slice(0, -1);
    if (state === FIELD && this.count === 0) return; // nothing after the last line end
    if (state === UNQUOTED && this.count === 0 && pending.length === 0) return; // a last line of just CR
    this.fields[this.count++] = pending.length === 0 ? null : copyOf(pending);
    out.push(this.fields.slice(0, this.count));
    this.count = 0;
    this.records++;
    this.pending = '';
    this.state = FIELD;
  }

  /**
   * Record terminator from the first line end outside quotes: a lone CR makes CR the terminator.
   * False when the text ends on that CR (undecided); true otherwise, decided or not yet seen.
   */
  private detectNewline(text: string): boolean {
    let inQuotes = this.detectInQuotes;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (!inQuotes && c === LF) {
        this.newline = LF;
        return true;
      } else if (!inQuotes && c === CR) {
        if (i + 1 === text.length) return false;
        this.newline = text.charCodeAt(i + 1) === LF ? LF : CR;
        return true;
      }
    }
    this.detectInQuotes = inQuotes; // the text goes to the tokenizer: the next chunk continues after it
    return true;
  }

  /** Refuses a record (from `recordStart` in an earlier chunk, or in this one, to `end` here) longer than the limit. */
  private checkLength(text: string, recordStart: number, end: number, oneBytePerChar: boolean, line: number): void {
    const chars = end - recordStart;
    // A character is at most 3 UTF-8 bytes per UTF-16 unit; count exactly only when that could exceed the limit.
    if (this.carriedBytes + chars <= this.maxRecordBytes && (oneBytePerChar || this.carriedBytes + 3 * chars <= this.maxRecordBytes)) return;
    const bytes = this.carriedBytes + (oneBytePerChar ? chars : Buffer.byteLength(text.slice(recordStart, end), 'utf8'));
    if (bytes > this.maxRecordBytes) {
      this.line = line;
      throw this.tooLong();
    }
  }

  private tooLong(): CsvSyntaxError {
    return new CsvSyntaxError('too-long', `a record is longer than maxLineBytes (${this.maxRecordBytes})`, this.recordLine, this.records);
  }

  private malformed(message: string, line = this.line): CsvSyntaxError {
    return new CsvSyntaxError('malformed', message, line, this.records);
  }
}
