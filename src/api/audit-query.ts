import { z } from 'zod';
import type { StoredEvent } from '../events/envelope.js';
import { discloseEvents, type PersonalDataView } from '../events/event-disclosure.js';
import type { AllFilter, ReadAllOptions } from '../events/event-store.js';
import type { Runtime } from '../runtime.js';
import { pageFields, pageOf, sortQuery } from './pagination.js';

/**
 * A ledger event as the audit API shows it (event-disclosure.ts): credentials `[withheld]`, personal
 * fields in clear or as `[personal:…]` pseudonyms, `[redacted]` once the subject was erased.
 */
export const auditEventSchema = z
  .object({
    position: z.number().int(),
    id: z.string(),
    type: z.string(),
    schemaVersion: z.number().int(),
    streamId: z.string(),
    streamVersion: z.number().int(),
    occurredAt: z.string(),
    actor: z.object({ kind: z.enum(['user', 'service', 'system']), id: z.string(), role: z.string().optional(), apiKeyId: z.string().optional() }),
    correlationId: z.string().nullable(),
    causationId: z.string().nullable(),
    data: z.record(z.string(), z.unknown()).describe("The event's data: its schema is the event type's (schemaVersion), one of the catalogue's many"),
    metadata: z.record(z.string(), z.unknown()).describe('Metadata the writer attached (request id, client): free-form by design'),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

/** How the events of an answer were disclosed, and why their hashes still verify. */
export const disclosureSchema = z
  .object({
    personalData: z.enum(['clear', 'pseudonymised']),
    credentials: z.literal('withheld'),
    hashes: z.string(),
  })
  .meta({ id: 'AuditDisclosure' });

export const disclosureOf = (view: PersonalDataView): z.infer<typeof disclosureSchema> => ({
  personalData: view,
  credentials: 'withheld',
  hashes: 'prevHash and hash cover each event as stored, with personal and secret fields sealed (encrypted); they verify against the ledger (GET /api/v1/audit/verify), not against the disclosed data shown here',
});

export const auditPageSchema = z.object({
  events: z.array(auditEventSchema),
  disclosure: disclosureSchema,
  ...pageFields,
  page: z
    .object({
      order: z.enum(['asc', 'desc']),
      limit: z.number().int(),
      next: z.number().int().nullable().describe('Pass as `after` (asc) or `before` (desc), with offset 0, to read the next page; null at the end'),
    })
    .meta({ deprecated: true })
    .describe('Deprecated (until 0.2.0; use `nextOffset`): the ledger-position cursor of the next page'),
});

/** The audit log's one sort field: ledger position, oldest first unless asked otherwise. */
export const auditSortQuery = sortQuery(['position'], { sort: 'position', order: 'asc' });

export type AuditCriteria = AllFilter & { after?: number; before?: number; limit: number; offset: number; sort: 'position'; order: 'asc' | 'desc' };

export const presentEvent = (e: StoredEvent): z.infer<typeof auditEventSchema> => ({ ...e, occurredAt: e.occurredAt.toISOString() });

/**
 * Which events a page of the audit log holds: the count of all that match, and the `readAll` that
 * reads the page (null when it is empty), whose result is `reversed` before it is shown. `after`
 * and `before` bound the positions (exclusive) whichever the order. Newest first reads backwards
 * from `before`; with a lower bound as well it reads the same page forwards from the other end,
 * since the store reads backwards only down to its first event.
 */
export async function auditPageRead(store: Runtime['store'], criteria: AuditCriteria): Promise<{ total: number; read: ReadAllOptions | null; reversed: boolean }> {
  const { after, before, limit, offset, sort: _position, order, ...filter } = criteria;
  const range = { ...(after !== undefined ? { after } : {}), ...(before !== undefined ? { to: before - 1 } : {}), filter };
  const total = before !== undefined && before <= (after ?? 0) + 1 ? 0 : await store.countAll(range);
  if (offset >= total) return { total, read: null, reversed: false };
  if (order === 'asc') return { total, read: { ...range, limit, offset }, reversed: false };
  if (after === undefined) return { total, read: { direction: 'backwards', ...(before !== undefined ? { after: before } : {}), filter, limit, offset }, reversed: false };
  const take = Math.min(limit, total - offset);
  return { total, read: { ...range, limit: take, offset: total - offset - take }, reversed: true };
}

/** One page of the ledger matching the criteria in position order (`auditPageRead`), as `view` may see it. */
export async function searchLedger(runtime: Runtime, criteria: AuditCriteria, view: PersonalDataView): Promise<z.infer<typeof auditPageSchema>> {
  const { limit, offset, order } = criteria;
  const { total, read, reversed } = await auditPageRead(runtime.store, criteria);
  const events: StoredEvent[] = read ? await runtime.store.readAll(read) : [];
  if (reversed) events.reverse();
  const disclosed = await discloseEvents(events, runtime, view);
  const paging = pageOf({ limit, offset }, total);
  return {
    events: disclosed.map(presentEvent),
    disclosure: disclosureOf(view),
    ...paging,
    page: { order, limit, next: paging.nextOffset !== null && events.length > 0 ? events[events.length - 1]!.position : null },
  };
}
