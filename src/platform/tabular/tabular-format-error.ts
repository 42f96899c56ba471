export type TabularFormatErrorCode =
  | 'EMPTY'
  | 'DUPLICATE_COLUMN'
  | 'RAGGED_ROW'
  | 'BAD_ENCODING'
  | 'LINE_TOO_LONG'
  | 'MALFORMED_CSV'
  | 'INVALID_JSON'
  | 'UNEXPECTED_KEY'
  | 'NOT_PARQUET'
  | 'TRUNCATED_PARQUET'
  | 'INVALID_PARQUET'
  | 'UNSUPPORTED_SOURCE';

export type TabularErrorLocation = {
  /** 1-based data row (the header is not counted). */
  row?: number;
  /** 1-based physical line of the file. */
  line?: number;
  /** 0-based byte offset in the file (a UTF-8 byte-order mark counts). */
  byteOffset?: number;
};

/** The file is not readable as the format it was declared as; `code` says why, the location says where. */
export class TabularFormatError extends Error {
  readonly row: number | undefined;
  readonly line: number | undefined;
  readonly byteOffset: number | undefined;

  constructor(
    readonly code: TabularFormatErrorCode,
    message: string,
    location: TabularErrorLocation = {},
    options?: { cause?: unknown },
  ) {
    super(`${message}${describeLocation(location)}`, options);
    this.name = 'TabularFormatError';
    this.row = location.row;
    this.line = location.line;
    this.byteOffset = location.byteOffset;
  }
}

function describeLocation({ row, line, byteOffset }: TabularErrorLocation): string {
  const parts: string[] = [];
  if (row !== undefined) parts.push(`row ${row}`);
  if (line !== undefined) parts.push(`line ${line}`);
  if (byteOffset !== undefined) parts.push(`byte offset ${byteOffset}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}
