import { randomFillSync } from 'node:crypto';

const HEX_BYTE = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * `n` random (version 4) UUIDs from one draw of the system's random source, as text and as their
 * 16 bytes each (`bytes`, row after row): a batch of 10,000 predictions needs both, the text for
 * its answer and the bytes for its log, and turning 10,000 texts back into bytes cost as much as
 * drawing them.
 */
export function randomUuidBatch(n: number): { text: string[]; bytes: Buffer } {
  const bytes = randomFillSync(Buffer.allocUnsafe(16 * n));
  const text = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    const o = 16 * i;
    bytes[o + 6] = (bytes[o + 6]! & 0x0f) | 0x40; // version 4
    bytes[o + 8] = (bytes[o + 8]! & 0x3f) | 0x80; // variant 10xx (RFC 9562)
    const h = (k: number) => HEX_BYTE[bytes[o + k]!]!;
    text[i] = `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
  }
  return { text, bytes };
}
