import type { LedgerCsvBytes } from '../event-store.js';

/**
 * The byte stream of `ledger-csv-copy.ts`'s COPY cut into pages of finished records, without ever
 * making a record a JavaScript string: per record, its end is the next LF (no field holds one,
 * see ledger-csv-copy.ts), its position the digits before the first comma, its hash the 64 hex
 * digits before the LF. Records are copied into the page with CRLF ends (RFC 4180); a marker
 * record (`<position>,*,…,<hash>`) is left out and noted with the offset where its event's record
 * belongs. A record of any other shape stops the read with an error rather than pass on.
 */

/**
 * A page of records: the port's page (event-store.ts `LedgerCsvBytes`: positions, 32-byte hashes,
 * CRLF-terminated records) before the disclosed events are read, so with their positions only,
 * and the offset in `records` where each one's record goes.
 */
export type CsvCopyPage = Omit<LedgerCsvBytes, 'whole'> & { disclosed: Array<{ position: number; at: number }> };

const LF = 0x0a;
const CR = 0x0d;
const COMMA = 0x2c;
const ZERO = 0x30;
const STAR = 0x2a;
const HASH_DIGITS = 64;
/** The shortest record: a one-digit position, `*`, fourteen empty fields and a hash, with their commas and LF. */
const MIN_RECORD = 1 + 1 + 1 + 14 + HASH_DIGITS + 1;

/** Hex digit values by byte (lowercase and uppercase), −1 for any other byte. */
const HEX = new Int8Array(256).fill(-1);
for (let i = 0; i < 10; i++) HEX[ZERO + i] = i;
for (let i = 0; i < 6; i++) HEX[0x61 + i] = HEX[0x41 + i] = 10 + i;

export class CsvCopyPageReader {
  /** The start of a record the last chunk did not complete. */
  private rest: Buffer | null = null;

  /** The page of the records `chunk` completes (with any part left from the chunk before); null when it completes none. */
  read(chunk: Buffer): CsvCopyPage | null {
    let from = 0;
    let head: Buffer | null = null;
    if (this.rest) {
      // Only the record cut between the chunks is joined; the rest of the chunk is read where it lies.
      const end = chunk.indexOf(LF);
      if (end < 0) {
        this.rest = Buffer.concat([this.rest, chunk]);
        return null;
      }
      head = Buffer.concat([this.rest, chunk.subarray(0, end + 1)]);
      this.rest = null;
      from = end + 1;
    }
    const bytes = chunk.length - from + (head?.length ?? 0);
    const most = Math.ceil(bytes / MIN_RECORD) + 1;
    const page: CsvCopyPage = {
      count: 0,
      positions: new Float64Array(most),
      hashes: Buffer.allocUnsafe(most * 32),
      // Each record gains one byte (LF → CRLF); marker records are left out.
      records: Buffer.allocUnsafe(bytes + most),
      disclosed: [],
    };
    const state = { written: 0 };
    if (head) scanRecords(head, 0, page, state);
    const stop = scanRecords(chunk, from, page, state);
    if (stop < chunk.length) this.rest = chunk.subarray(stop);
    if (page.count === 0) return null;
    return { ...page, positions: page.positions.subarray(0, page.count), hashes: page.hashes.subarray(0, page.count * 32), records: page.records.subarray(0, state.written) };
  }

  /** At the end of the stream: nothing may be left of a record. */
  end(): void {
    if (this.rest && this.rest.length > 0) throw new Error(`the COPY output ended inside a record: ${preview(this.rest, 0, this.rest.length)}`);
  }
}

/** Reads the complete records of `buf` from `start` into `page` (records from `state.written` on); returns where the first incomplete one starts. */
function scanRecords(buf: Buffer, start: number, page: CsvCopyPage, state: { written: number }): number {
  const { positions, hashes, records, disclosed } = page;
  let count = page.count;
  let written = state.written;
  for (let end = buf.indexOf(LF, start); end >= 0; start = end + 1, end = buf.indexOf(LF, start)) {
    let at = start;
    let position = 0;
    for (let b = buf[at]!; b !== COMMA; b = buf[++at]!) {
      const digit = b - ZERO;
      if (digit < 0 || digit > 9 || at >= end) throw new Error(`a COPY record does not start with a position: ${preview(buf, start, end)}`);
      position = position * 10 + digit;
    }
    if (at === start) throw new Error(`a COPY record does not start with a position: ${preview(buf, start, end)}`);
    const hashAt = end - HASH_DIGITS;
    if (hashAt <= at || buf[hashAt - 1] !== COMMA) throw new Error(`a COPY record does not end with a hash: ${preview(buf, start, end)}`);
    const into = count * 32;
    for (let k = 0; k < 32; k++) {
      const hi = HEX[buf[hashAt + 2 * k]!]!;
      const lo = HEX[buf[hashAt + 2 * k + 1]!]!;
      if ((hi | lo) < 0) throw new Error(`a COPY record does not end with a hash: ${preview(buf, start, end)}`);
      hashes[into + k] = (hi << 4) | lo;
    }
    positions[count++] = position;
    if (buf[at + 1] === STAR && buf[at + 2] === COMMA) disclosed.push({ position, at: written });
    else {
      written += buf.copy(records, written, start, end);
      records[written++] = CR;
      records[written++] = LF;
    }
  }
  page.count = count;
  state.written = written;
  return start;
}

const preview = (buf: Buffer, start: number, end: number) => JSON.stringify(buf.toString('utf8', start, Math.min(end, start + 80)));
