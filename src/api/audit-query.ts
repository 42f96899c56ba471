import { z } from 'zod';
import type { StoredEvent } from '../events/envelope.js';
import type { AllFilter } from '../events/event-store.js';
import type { Runtime } from '../runtime.js';

/** A ledger event as the audit API shows it: personal fields decrypted, or `[redacted]` once erased. */
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

export const auditPageSchema = z.object({
  events: z.array(auditEventSchema),
  page: z.object({
    order: z.enum(['asc', 'desc']),
    limit: z.number().int(),
    /** Pass as `after` (asc) or `before` (desc) to read the next page; null at the end. */
    next: z.number().int().nullable(),
  }),
});

export type AuditCriteria = AllFilter & { after?: number; before?: number; limit: number; order: 'asc' | 'desc' };

export const presentEvent = (e: StoredEvent): z.infer<typeof auditEventSchema> => ({ ...e, occurredAt: e.occurredAt.toISOString() });

/** One page of the ledger matching the criteria, in position order; positions are the cursor. */
export async function searchLedger(runtime: Runtime, criteria: AuditCriteria): Promise<z.infer<typeof auditPageSchema>> {
  const { after, before, limit, order, ...filter } = criteria;
  const events = await runtime.store.readAll({
    direction: order === 'desc' ? 'backwards' : 'forwards',
    after: order === 'desc' ? before : after,
    limit: limit + 1,
    filter,
  });
  const page = events.slice(0, limit);
  const revealed = await runtime.vault.reveal(page);
  return {
    events: revealed.map(presentEvent),
    page: { order, limit, next: events.length > limit ? page[page.length - 1]!.position : null },
  };
}
