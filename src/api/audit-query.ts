import { z } from 'zod';
import type { StoredEvent } from '../events/envelope.js';
import { discloseEvents, type PersonalDataView } from '../events/event-disclosure.js';
import type { AllFilter } from '../events/event-store.js';
import type { Runtime } from '../runtime.js';

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
    data: z.record(z.string(), z.unknown()),
    metadata: z.record(z.string(), z.unknown()),
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
  page: z.object({
    order: z.enum(['asc', 'desc']),
    limit: z.number().int(),
    /** Pass as `after` (asc) or `before` (desc) to read the next page; null at the end. */
    next: z.number().int().nullable(),
  }),
});

export type AuditCriteria = AllFilter & { after?: number; before?: number; limit: number; order: 'asc' | 'desc' };

export const presentEvent = (e: StoredEvent): z.infer<typeof auditEventSchema> => ({ ...e, occurredAt: e.occurredAt.toISOString() });

/** One page of the ledger matching the criteria, in position order, as `view` may see it; positions are the cursor. */
export async function searchLedger(runtime: Runtime, criteria: AuditCriteria, view: PersonalDataView): Promise<z.infer<typeof auditPageSchema>> {
  const { after, before, limit, order, ...filter } = criteria;
  const events = await runtime.store.readAll({
    direction: order === 'desc' ? 'backwards' : 'forwards',
    after: order === 'desc' ? before : after,
    limit: limit + 1,
    filter,
  });
  const page = events.slice(0, limit);
  const disclosed = await discloseEvents(page, runtime, view);
  return {
    events: disclosed.map(presentEvent),
    disclosure: disclosureOf(view),
    page: { order, limit, next: events.length > limit ? page[page.length - 1]!.position : null },
  };
}
