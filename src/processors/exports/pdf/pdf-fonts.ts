import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as fontkit from 'fontkit';

/**
 * The fonts a PDF export embeds. PDF/A forbids relying on a viewer's fonts, and a fresh machine has
 * none worth relying on, so the TTF files come from npm packages: DejaVu Sans (Latin, Greek,
 * Cyrillic, Hebrew, Arabic, symbols) for everything it covers, Noto Sans JP for the Han, kana and
 * Hangul characters it lacks. Both are embedded as subsets, so a report only carries the glyphs it uses.
 */
export type PdfFontName = 'Body' | 'Body-Bold' | 'Fallback';

const require = createRequire(import.meta.url);
const dejavu = join(dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
const noto = dirname(require.resolve('@expo-google-fonts/noto-sans-jp/package.json'));

const FILES: Record<PdfFontName, string> = {
  Body: join(dejavu, 'DejaVuSans.ttf'),
  'Body-Bold': join(dejavu, 'DejaVuSans-Bold.ttf'),
  Fallback: join(noto, '400Regular', 'NotoSansJP_400Regular.ttf'),
};

/** Read once per process: every render registers the same bytes. */
let cache: { bytes: Record<PdfFontName, Buffer>; body: fontkit.Font; fallback: fontkit.Font } | undefined;

/** A .ttf holds one font; `create` answers a collection only for .ttc files. */
const asFont = (f: fontkit.Font | { fonts: fontkit.Font[] }): fontkit.Font => ('fonts' in f ? f.fonts[0]! : f);

function loaded() {
  if (!cache) {
    const bytes = { Body: readFileSync(FILES.Body), 'Body-Bold': readFileSync(FILES['Body-Bold']), Fallback: readFileSync(FILES.Fallback) };
    cache = { bytes, body: asFont(fontkit.create(bytes.Body)), fallback: asFont(fontkit.create(bytes.Fallback)) };
  }
  return cache;
}

export function pdfFontBytes(name: PdfFontName): Buffer {
  return loaded().bytes[name];
}

/**
 * The body fonts' ascent per point of size (DejaVu Sans Bold shares it). Text drawn with its baseline
 * this far below the line's top keeps one baseline when a line switches to the fallback font,
 * whose ascent is larger.
 */
export function bodyAscent(): number {
  const { body } = loaded();
  return body.ascent / body.unitsPerEm;
}

// eslint-disable-next-line no-control-regex -- the whole range from U+0000 is meant
const BODY_ONLY = /^[\u0000-\u04ff\u2000-\u206f]*$/;

/** A stretch of text drawn in one font. */
export type TextRun = { text: string; fallback: boolean };

/**
 * Splits text into runs the body font can draw and runs only the fallback font can (a character
 * neither has stays with the body font, which draws its "missing glyph" box rather than nothing).
 * Whitespace and combining marks stay in the run they follow, so words do not break at a switch.
 */
export function textRuns(text: string): TextRun[] {
  // Latin, Greek and Cyrillic up to U+04FF are all in DejaVu Sans: most text needs no lookup.
  if (BODY_ONLY.test(text)) return [{ text, fallback: false }];
  const { body, fallback } = loaded();
  const runs: TextRun[] = [];
  let current = '';
  let currentFallback = false;
  for (const char of text) {
    const cp = char.codePointAt(0)!;
    const neutral = cp <= 0x20 || (cp >= 0x300 && cp <= 0x36f);
    const useFallback: boolean = neutral ? currentFallback : !body.hasGlyphForCodePoint(cp) && fallback.hasGlyphForCodePoint(cp);
    if (current !== '' && useFallback !== currentFallback) {
      runs.push({ text: current, fallback: currentFallback });
      current = '';
    }
    currentFallback = useFallback;
    current += char;
  }
  if (current !== '' || runs.length === 0) runs.push({ text: current, fallback: currentFallback });
  return runs;
}

/** True when some character of the text needs the fallback font. */
export const needsFallback = (text: string): boolean => textRuns(text).some((r) => r.fallback);
