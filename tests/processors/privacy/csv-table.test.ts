import { describe, expect, it } from 'vitest';
import { csvTable } from '../../../src/processors/privacy/csv-table.js';

describe('csvTable (RFC 4180, formula injection neutralised)', () => {
  it('ends lines with CRLF and quotes only fields with a comma, quote or line break, doubling quotes', () => {
    expect(csvTable(['a', 'b'], [['plain', 'with,comma'], ['say "hi"', 'two\nlines'], [null, 3]])).toBe('a,b\r\nplain,"with,comma"\r\n"say ""hi""","two\nlines"\r\n,3\r\n');
  });

  it('prefixes text a spreadsheet would run as a formula with an apostrophe, but leaves numbers alone', () => {
    expect(csvTable(['v'], [['=HYPERLINK("x")'], ['+1'], ['-2'], ['@SUM(A1)'], ['\tx'], ['\rx'], [-2], ['a=b']])).toBe(
      'v\r\n"\'=HYPERLINK(""x"")"\r\n\'+1\r\n\'-2\r\n\'@SUM(A1)\r\n\'\tx\r\n"\'\rx"\r\n-2\r\na=b\r\n',
    );
  });
});
