import type { JsonValue, StoredEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/event-store.js';
import { isSealedField } from '../../events/personal-data.js';

const PAGE = 1000;

/** Whether `value` holds `subjectId` anywhere: as a string (a user id field) or as the subject of a sealed field. */
function names(value: JsonValue, subjectId: string): boolean {
  if (typeof value === 'string') return value === subjectId;
  if (Array.isArray(value)) return value.some((v) => names(v, subjectId));
  if (typeof value === 'object' && value !== null) return Object.values(value).some((v) => names(v, subjectId));
  return false;
}

/** How many fields of `value` are sealed under the subject's key. */
export function sealedFieldsOf(value: JsonValue, subjectId: string): number {
  if (isSealedField(value)) return value.subject === subjectId ? 1 : 0;
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + sealedFieldsOf(v, subjectId), 0);
  if (typeof value === 'object' && value !== null) return Object.values(value).reduce<number>((n, v) => n + sealedFieldsOf(v, subjectId), 0);
  return 0;
}

/**
 * Every event up to `to` that the subject authored (its actor) or that names them (a field equal to
 * their id, or a field sealed under their key), in ledger order. A whole-ledger walk in pages: the
 * ledger keeps no index by person, and access requests are rare enough to afford one.
 */
export async function* eventsAboutSubject(store: EventStore, subjectId: string, to: number): AsyncGenerator<StoredEvent> {
  let after = 0;
  while (after < to) {
    const page = await store.readAll({ after, to, limit: PAGE });
    if (page.length === 0) return;
    for (const e of page) if (e.actor.id === subjectId || names(e.data, subjectId)) yield e;
    after = page[page.length - 1]!.position;
  }
}
