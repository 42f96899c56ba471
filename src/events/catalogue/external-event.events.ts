import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

export const externalEventPublished = defineEvent({
  type: 'external.event-published',
  schemaVersion: 1,
  schema: z.object({
    /** The publisher's namespace (its own stream: `external-<namespace>`). */
    namespace: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/),
    /** The publisher's event type, as registered with its JSON Schema. */
    type: z.string().min(1).max(200),
    /** SHA-256 of the canonical JSON of the schema the payload was validated against. */
    schemaSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** The publisher's own id for the event, if it gave one: publishing it again records nothing new. */
    externalId: z.string().max(200).nullable(),
    payload: z.record(z.string(), z.json()),
  }),
  description: 'An external system recorded one of its own events, validated against the JSON Schema registered for its type (docs/webhooks.md).',
});

export const externalEvents = [externalEventPublished];
