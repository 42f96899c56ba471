import { LRUCache } from 'lru-cache';
import type { StoredEvent } from '../events/envelope.js';
import { discloseEvents, isPlainEvent, type PersonalDataView } from '../events/event-disclosure.js';
import type { Runtime } from '../runtime.js';
import { auditEventSchema, auditPageRead, auditPageSchema, disclosureOf, presentEvent, searchLedger, type AuditCriteria } from './audit-query.js';
import { pageOf } from './pagination.js';

/**
 * The JSON text of plain audit events (no classified field, no sealed value: `isPlainEvent`), by
 * position and hash. Such an event reads the same to every reader for ever (the ledger is
 * immutable and erasure touches only sealed values), so its text is built and checked against the
 * response schema once. Events with personal or secret data are never kept: how they read depends
 * on the reader and on erasures since.
 */
export class AuditEventTexts {
  private readonly texts: LRUCache<string, string>;

  constructor(maxBytes = 32 << 20) {
    this.texts = new LRUCache<string, string>({ maxSize: maxBytes, sizeCalculation: (text) => Math.max(1, text.length) });
  }

  get(position: number, hash: string): string | undefined {
    return this.texts.get(`${position}:${hash}`);
  }

  set(position: number, hash: string, text: string): void {
    this.texts.set(`${position}:${hash}`, text);
  }
}

/** An event as the audit API shows it, as JSON text (checked against its schema). */
const eventText = (e: StoredEvent): string => JSON.stringify(auditEventSchema.encode(presentEvent(e)));

/**
 * `searchLedger`'s page as the JSON text of its answer. Where the store can list a page's positions
 * and hashes and read events by position, a page reads only those, then the events whose text is
 * not kept: an audit page of unchanged history costs one small query instead of decoding every
 * event's data, disclosing it and encoding it again. Otherwise it is `searchLedger`'s answer.
 */
export async function searchLedgerText(runtime: Runtime, criteria: AuditCriteria, view: PersonalDataView, texts: AuditEventTexts): Promise<string> {
  const store = runtime.store;
  if (!store.readAllHashes || !store.readEventsAt) return JSON.stringify(auditPageSchema.encode(await searchLedger(runtime, criteria, view)));
  const { limit, offset, order } = criteria;
  // The same page as searchLedger reads, as positions and hashes.
  const { total, read, reversed } = await auditPageRead(store, criteria);
  const heads = read ? await store.readAllHashes(read) : [];
  if (reversed) heads.reverse();
  const found = heads.map((h) => texts.get(h.position, h.hash));
  const missing = heads.filter((_, i) => found[i] === undefined);
  if (missing.length > 0) {
    const events = await store.readEventsAt(missing.map((h) => h.position));
    const byPosition = new Map(events.map((e) => [e.position, e]));
    const ordered = missing.map((h) => byPosition.get(h.position));
    // An event gone between the two reads cannot happen (the ledger only grows); a hash that differs would be another ledger.
    if (ordered.some((e, i) => e === undefined || e.hash !== missing[i]!.hash)) return JSON.stringify(auditPageSchema.encode(await searchLedger(runtime, criteria, view)));
    const disclosed = await discloseEvents(ordered as StoredEvent[], runtime, view);
    const textOf = new Map<number, string>();
    disclosed.forEach((e, i) => {
      const text = eventText(e);
      textOf.set(e.position, text);
      if (isPlainEvent(runtime.catalogue, ordered[i]!)) texts.set(e.position, e.hash, text);
    });
    heads.forEach((h, i) => (found[i] ??= textOf.get(h.position)));
  }
  const paging = pageOf({ limit, offset }, total);
  const rest = auditPageSchema.encode({
    events: [],
    disclosure: disclosureOf(view),
    ...paging,
    page: { order, limit, next: paging.nextOffset !== null && heads.length > 0 ? heads[heads.length - 1]!.position : null },
  });
  const { events: _none, ...fields } = rest;
  return `{"events":[${found.join(',')}],${JSON.stringify(fields).slice(1)}`;
}
