/**
 * A string's Unicode code points, as Python iterates a str (what rapidfuzz and sacrebleu count):
 * surrogate pairs joined, a lone surrogate kept as it is. Computed once per text and reused for
 * every comparison it takes part in.
 */
export function codePoints(text: string): Int32Array {
  const out = new Int32Array(text.length);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    // charCodeAt, joining a surrogate pair by hand: codePointAt per character cost twice as much.
    let c = text.charCodeAt(i);
    if ((c & 0xfc00) === 0xd800 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if ((low & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    out[n++] = c;
  }
  return n === out.length ? out : out.slice(0, n);
}

