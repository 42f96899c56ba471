import { describe, expect, it } from 'vitest';
import { textRuns } from '../../../../src/processors/exports/pdf/pdf-fonts.js';

describe('font runs', () => {
  it('keeps text DejaVu Sans can draw in one run', () => {
    expect(textRuns('Zoë Ødegård, Ελένη, Пётр — ok')).toEqual([{ text: 'Zoë Ødegård, Ελένη, Пётр — ok', fallback: false }]);
  });

  it('switches to the fallback font for Han and kana, spaces staying with the run they follow', () => {
    expect(textRuns('Owner: 名前 と Zoë')).toEqual([
      { text: 'Owner: ', fallback: false },
      { text: '名前 と ', fallback: true },
      { text: 'Zoë', fallback: false },
    ]);
  });

  it('answers one empty run for empty text', () => {
    expect(textRuns('')).toEqual([{ text: '', fallback: false }]);
  });
});
