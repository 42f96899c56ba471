import { describe, expect, it } from 'vitest';
import { corpusBleu, sentenceBleu, tokenize13a } from '../../../src/analytics/evaluation/bleu.js';
import { corpusChrf, sentenceChrf } from '../../../src/analytics/evaluation/chrf.js';
import { cosineSimilarity } from '../../../src/analytics/evaluation/cosine-similarity.js';
import { codePoints } from '../../../src/analytics/evaluation/code-points.js';
import { levenshteinDistance, normalizedLevenshteinSimilarity } from '../../../src/analytics/evaluation/levenshtein.js';
import { lcsLength, rouge, rougeTokens } from '../../../src/analytics/evaluation/rouge.js';
import { exactMatch, normalizeAnswer, tokenF1 } from '../../../src/analytics/evaluation/squad-answer-match.js';
import { mulberry32, randomInt } from '../../../src/analytics/seeded-random.js';

describe('SQuAD v2 normalisation, exact match and token F1', () => {
  it('lowercases, drops punctuation and articles, collapses whitespace', () => {
    // "The  Cat's hat!" → "the  cat's hat!" → "the  cats hat" → "   cats hat" → "cats hat"
    expect(normalizeAnswer("The  Cat's hat!")).toBe('cats hat');
    // articles only as whole words: "theatre" and "an" inside "banana" stay
    expect(normalizeAnswer('An apple, a banana and the theatre')).toBe('apple banana and theatre');
    // Python's \b is Unicode-aware: "éa" has no boundary before "a", so it stays
    expect(normalizeAnswer('café a')).toBe('café');
    expect(normalizeAnswer('éa')).toBe('éa');
  });

  it('exact match is 1 when some normalised reference equals the prediction', () => {
    expect(exactMatch('the cats hat', ["Cat's hat.", 'dog'])).toBe(1);
    expect(exactMatch('cats', ['cats hat'])).toBe(0);
    expect(exactMatch('anything', [])).toBe(0);
  });

  it('token F1 is the best over references of 2PR/(P+R) on token bags', () => {
    // pred [big, cat, sat], ref [cat, sat, down]: common 2, P = R = 2/3, F1 = 2/3
    expect(tokenF1('The big cat sat', ['a cat sat down'])).toBeCloseTo(2 / 3, 12);
    // second reference: [cat, sat] → common 2, P = 2/3, R = 1, F1 = 2·(2/3)/(5/3) = 0.8
    expect(tokenF1('The big cat sat', ['a cat sat down', 'cat sat'])).toBeCloseTo(0.8, 12);
    // repeated tokens count by multiplicity: pred [cat, cat] vs ref [cat]: common 1, P = 1/2, R = 1, F1 = 2/3
    expect(tokenF1('cat cat', ['cat'])).toBeCloseTo(2 / 3, 12);
    // both normalise to empty: SQuAD returns int(gold == pred) = 1; one empty: 0
    expect(tokenF1('the', ['a'])).toBe(1);
    expect(tokenF1('the', ['cat'])).toBe(0);
  });
});

describe('ROUGE as rouge-score computes it', () => {
  it('uses the default tokenizer: lowercase, non-alphanumerics are separators', () => {
    expect(rougeTokens("The Cat's  hat-trick, 2024!")).toEqual(['the', 'cat', 's', 'hat', 'trick', '2024']);
  });

  it('ROUGE-1, ROUGE-2 and ROUGE-L on a hand-worked pair', () => {
    // p = the cat sat on the mat, t = the cat is on the mat (6 tokens each)
    // unigram overlap: the 2, cat 1, on 1, mat 1 = 5 → P = R = F = 5/6
    const r1 = rouge('rouge1', 'the cat sat on the mat', ['The cat is on the mat.']);
    expect(r1.precision).toBeCloseTo(5 / 6, 12);
    expect(r1.f1).toBeCloseTo(5 / 6, 12);
    // bigrams: p {the cat, cat sat, sat on, on the, the mat}, t {the cat, cat is, is on, on the, the mat}: 3 shared of 5
    expect(rouge('rouge2', 'the cat sat on the mat', ['The cat is on the mat.']).f1).toBeCloseTo(3 / 5, 12);
    // LCS "the cat on the mat" = 5 → P = R = 5/6
    expect(rouge('rougeL', 'the cat sat on the mat', ['The cat is on the mat.']).f1).toBeCloseTo(5 / 6, 12);
  });

  it('precision and recall differ with lengths; the best reference by F1 wins', () => {
    // p = [the, cat] vs t = [the, cat, sat, down]: overlap 2 → P = 1, R = 1/2, F = 2/3
    const s = rouge('rouge1', 'the cat', ['the cat sat down', 'dog']);
    expect(s.precision).toBe(1);
    expect(s.recall).toBe(0.5);
    expect(s.f1).toBeCloseTo(2 / 3, 12);
    expect(rouge('rougeL', '', ['x']).f1).toBe(0);
  });

  it('bit-parallel LCS equals the dynamic-programming table on 800 random pairs across block boundaries', () => {
    // rouge-score's _lcs_table, written out: T[i][j] = T[i-1][j-1] + 1 on a match, else max(T[i-1][j], T[i][j-1]).
    const tableLcs = (a: Int32Array, b: Int32Array): number => {
      const t = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
      for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) t[i]![j] = a[i - 1] === b[j - 1] ? t[i - 1]![j - 1]! + 1 : Math.max(t[i - 1]![j]!, t[i]![j - 1]!);
      return t[a.length]![b.length]!;
    };
    const random = mulberry32(11);
    const sequence = (n: number, alphabet: number) => Int32Array.from({ length: n }, () => randomInt(random, alphabet));
    for (let k = 0; k < 800; k++) {
      // lengths around 0, 31/32/33, 63/64/65 and up to 140; small alphabets make long common runs (carries between blocks)
      const alphabet = 1 + randomInt(random, k % 2 === 0 ? 3 : 40);
      const a = sequence(randomInt(random, 141), alphabet);
      const b = sequence(randomInt(random, 141), alphabet + 5);
      expect(lcsLength(a, b)).toBe(tableLcs(a, b));
    }
    for (const n of [31, 32, 33, 64, 65]) {
      const same = sequence(n, 2);
      expect(lcsLength(same, same)).toBe(n);
    }
    expect(lcsLength(new Int32Array(0), Int32Array.of(1))).toBe(0);
  });
});

describe('BLEU as sacrebleu computes it', () => {
  it("13a tokens equal sacrebleu's literal regexes on 3,000 random lines of punctuation, digits and spaces", () => {
    // sacrebleu tokenizer_13a.py + tokenizer_re.py, verbatim (including the space in the first class).
    const sacrebleu13a = (line: string): string[] => {
      let text = line.replaceAll('<skipped>', '').replaceAll('-\n', '').replaceAll('\n', ' ');
      if (text.includes('&')) text = text.replaceAll('&quot;', '"').replaceAll('&amp;', '&').replaceAll('&lt;', '<').replaceAll('&gt;', '>');
      text = ` ${text} `
        .replace(/([{-~[-` -&(-+:-@/])/g, ' $1 ')
        .replace(/([^0-9])([.,])/g, '$1 $2 ')
        .replace(/([.,])([^0-9])/g, ' $1 $2')
        .replace(/([0-9])(-)/g, '$1 $2 ');
      return text.split(/\s+/u).filter((t) => t.length > 0);
    };
    const random = mulberry32(13);
    const pieces = ['a', 'b', '1', '2', ' ', '  ', '.', ',', '-', '&', "'", '(', '"', '/', '?', '!', '@', '~', '\n', '\t', '&amp;', 'é'];
    for (let k = 0; k < 3000; k++) {
      const line = Array.from({ length: randomInt(random, 25) }, () => pieces[randomInt(random, pieces.length)]!).join('');
      expect(tokenize13a(line)).toEqual(sacrebleu13a(line));
    }
  });

  it('13a tokenisation splits punctuation but keeps decimal points and commas inside numbers', () => {
    // the apostrophe (0x27) and the dash (0x2d) are outside 13a's symbol ranges; "?" and "," are split off
    expect(tokenize13a("It wasn't 3.5, was it?")).toEqual(['It', "wasn't", '3.5', ',', 'was', 'it', '?']);
    // a dash is split only after a digit; "&amp;" is unescaped first
    expect(tokenize13a('1,000 items-2 &amp; more')).toEqual(['1,000', 'items-2', '&', 'more']);
    expect(tokenize13a('2-3 pm. Done,ok')).toEqual(['2', '-', '3', 'pm', '.', 'Done', ',', 'ok']);
  });

  it("reproduces sacrebleu's README corpus example: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 hyp_len = 17 ref_len = 18)", () => {
    const sys = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    const bleu = corpusBleu(sys, refs);
    expect(bleu.score).toBeCloseTo(48.53, 2);
    expect(bleu.precisions.map((p) => Math.round(p * 10) / 10)).toEqual([82.4, 50.0, 45.5, 37.5]);
    expect(bleu.brevityPenalty).toBeCloseTo(0.943, 3);
    expect([bleu.hypothesisLength, bleu.referenceLength]).toEqual([17, 18]);
  });

  it('sentence BLEU: effective order and brevity penalty, hand-computed', () => {
    // hyp [the, cat] vs ref [the, cat, sat]: p1 = 2/2, p2 = 1/1, no 3-grams → effective order 2;
    // BP = exp(1 - 3/2); score = BP · 100
    expect(sentenceBleu('the cat', ['the cat sat']).score).toBeCloseTo(100 * Math.exp(-0.5), 10);
  });

  it("sentence BLEU: 'exp' smoothing halves each successive zero-match order", () => {
    // hyp "the cat on a red mat" vs "the cat sat on the mat": p1 = 4/6, p2 = 1/5, 3-grams 0/4 → 100/(2·4) = 12.5,
    // 4-grams 0/3 → 100/(4·3); BP = 1 (6 = 6); score = (66.67 · 20 · 12.5 · 8.33)^(1/4)
    const expected = Math.pow((400 / 6) * 20 * 12.5 * (100 / 12), 0.25);
    expect(sentenceBleu('the cat on a red mat', ['the cat sat on the mat']).score).toBeCloseTo(expected, 10);
    // no match at all: 0
    expect(sentenceBleu('xyz', ['the cat']).score).toBe(0);
  });

  it('takes the closest reference length, the shorter one on ties', () => {
    // hyp length 3; references of length 2 and 4 are equally close → r = 2, so no brevity penalty
    const s = sentenceBleu('a b c', ['a b', 'a b c d']);
    expect(s.referenceLength).toBe(2);
    expect(s.brevityPenalty).toBe(1);
  });
});

describe('chrF as sacrebleu computes it', () => {
  it('averages precision and recall over orders both sides have, then F-beta with beta 2', () => {
    // "abc" vs "abd": order 1 P = R = 2/3; order 2 {ab, bc} vs {ab, bd}: 1/2; order 3 0/1; orders 4-6 absent.
    // P = R = (2/3 + 1/2 + 0)/3 = 7/18 → F2 = 7/18
    expect(sentenceChrf('abc', ['abd'])).toBeCloseTo((100 * 7) / 18, 10);
    // whitespace is removed before extracting n-grams
    expect(sentenceChrf('a b', ['ab'])).toBeCloseTo(100, 10);
    expect(sentenceChrf('xyz', ['abc'])).toBe(0);
  });

  it('beta 2 weighs recall: hyp "ab" vs ref "abcd"', () => {
    // order 1: P = 2/2, R = 2/4; order 2: {ab} vs {ab, bc, cd}: P = 1, R = 1/3; orders 3-6: hyp has none → left out.
    // P = 1, R = (1/2 + 1/3)/2 = 5/12; F2 = 5·P·R/(4P + R) = (25/12)/(53/12) = 25/53
    expect(sentenceChrf('ab', ['abcd'])).toBeCloseTo((100 * 25) / 53, 10);
  });

  it("reproduces sacrebleu's README corpus example: chrF2 = 59.73", () => {
    const sys = ['The dog bit the man.', "It wasn't surprising.", 'The man had just bitten him.'];
    const refs = [
      ['The dog bit the man.', 'It was not unexpected.', 'The man bit him first.'],
      ['The dog had bit the man.', 'No one was surprised.', 'The man had bitten the dog.'],
    ];
    expect(corpusChrf(sys, refs)).toBeCloseTo(59.73, 2);
  });
});

/** The textbook O(m·n) table, for brute-force comparison. */
function tableDistance(a: Int32Array, b: Int32Array): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

describe('Levenshtein', () => {
  it('kitten → sitting is 3 edits; similarity 1 - 3/7', () => {
    expect(levenshteinDistance(codePoints('kitten'), codePoints('sitting'))).toBe(3);
    expect(normalizedLevenshteinSimilarity('kitten', 'sitting')).toBeCloseTo(1 - 3 / 7, 12);
    expect(normalizedLevenshteinSimilarity('', '')).toBe(1);
    expect(normalizedLevenshteinSimilarity('abc', '')).toBe(0);
  });

  it('counts code points, not UTF-16 units', () => {
    // one astral character replaced by another: one substitution out of 2 code points
    expect(normalizedLevenshteinSimilarity('a😀', 'a😁')).toBe(0.5);
  });

  it('code points are what Python iterates: pairs joined, lone surrogates kept as they are', () => {
    const lone = 'x\ud800y\udc00z\ud83d';
    for (const text of ['', 'abc', 'a😀b👍🏽', lone, '😀😀', 'é\u0301']) expect(Array.from(codePoints(text))).toEqual(Array.from(text, (ch) => ch.codePointAt(0)!));
  });

  it('bit-parallel distance equals the full table on 600 random pairs up to 150 characters', () => {
    const random = mulberry32(7);
    const alphabet = ['a', 'b', 'c', 'd', ' ', 'é', '😀'];
    const text = (n: number): string => Array.from({ length: n }, () => alphabet[randomInt(random, alphabet.length)]!).join('');
    for (let t = 0; t < 600; t++) {
      const a = codePoints(text(randomInt(random, 150)));
      const b = codePoints(text(randomInt(random, 150)));
      expect(levenshteinDistance(a, b)).toBe(tableDistance(a, b));
    }
  });
});

describe('cosine similarity', () => {
  it('u·v / (|u||v|), undefined for zero or mismatched vectors', () => {
    // 1·4 + 2·5 + 3·6 = 32; |u| = √14, |v| = √77
    expect(cosineSimilarity([1, 2, 3], [4, 5, 6])).toBeCloseTo(32 / Math.sqrt(14 * 77), 12);
    expect(cosineSimilarity([1, 0], [-1, 0])).toBe(-1);
    expect(cosineSimilarity([0, 0], [1, 0])).toBeNull();
    expect(cosineSimilarity([1], [1, 2])).toBeNull();
  });
});
