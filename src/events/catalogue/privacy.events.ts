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
