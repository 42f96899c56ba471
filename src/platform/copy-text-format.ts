/** COPY's text format (`COPY … FROM STDIN`): tab-separated fields, one row a line. */

/** The field that reads as NULL. */
export const COPY_NULL = '\\N';

const SPECIAL = /[\\\t\n\r]/;
const ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };

/** A text as a COPY field: backslash, tab, newline and carriage return escaped, nothing else. */
export const copyField = (text: string): string => (SPECIAL.test(text) ? text.replace(/[\\\t\n\r]/g, (c) => ESCAPES[c]!) : text);
