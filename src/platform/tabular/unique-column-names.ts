import { TabularFormatError } from './tabular-format-error.js';

/** Two columns with one name would make every later lookup by name ambiguous, so the file is refused. */
export function assertUniqueColumns(columns: string[]): void {
  const seen = new Map<string, number>();
  columns.forEach((name, i) => {
    const earlier = seen.get(name);
    if (earlier !== undefined) {
      throw new TabularFormatError('DUPLICATE_COLUMN', `column ${JSON.stringify(name)} appears at positions ${earlier + 1} and ${i + 1}`);
    }
    seen.set(name, i);
  });
}
