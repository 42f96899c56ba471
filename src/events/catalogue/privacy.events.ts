import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

export const subjectErased = defineEvent({
  type: 'privacy.subject-erased',
  schemaVersion: 1,
  schema: z.object({
    subjectId: z.string().min(1),
    reason: z.string().min(1).max(500),
    /** False when the subject never had personal data recorded (nothing to shred). */
    keyDestroyed: z.boolean(),
  }),
  description: 'GDPR erasure: the subject key was destroyed, so its personal fields read as redacted everywhere.',
});

/** What a data-subject export held, by section: how many records, never the records themselves. */
export const SUBJECT_EXPORT_SECTIONS = ['account', 'sessions', 'apiKeys', 'events', 'datasetRows', 'mails'] as const;

export const subjectDataExported = defineEvent({
  type: 'privacy.data-exported',
  schemaVersion: 1,
  schema: z.object({
    subjectId: z.string().min(1),
    format: z.enum(['json', 'zip']),
    /** Record counts per section; the actor of the event is who asked. */
    counts: z.object(Object.fromEntries(SUBJECT_EXPORT_SECTIONS.map((s) => [s, z.number().int().nonnegative()])) as Record<(typeof SUBJECT_EXPORT_SECTIONS)[number], z.ZodNumber>),
    /** The ledger head the export was read at: what it covers. */
    ledgerPosition: z.number().int().nonnegative(),
  }),
  description: 'A data subject\'s personal data was exported (GDPR art. 15/20), to the subject or someone allowed to: who asked, for whom, and how many records of each kind; never the data.',
});
