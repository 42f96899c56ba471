import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';
import { personal } from '../field-classification.js';
import { sealedField } from './user.events.js';

const incidentId = z.uuid();
const instant = z.iso.datetime({ offset: true });

export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
/**
 * What decides the EU AI Act Art. 73 reporting deadline (src/commands/incident/incident-deadline.ts):
 * a serious incident in general, a widespread infringement or a serious and irreversible disruption
 * of critical infrastructure (Art. 3(49)(b)), or the death of a person.
 */
export const INCIDENT_CATEGORIES = ['serious-incident', 'widespread-infringement', 'critical-infrastructure', 'death'] as const;

export const incidentReported = defineEvent({
  type: 'incident.reported',
  schemaVersion: 1,
  schema: z.object({
    incidentId,
    modelId: z.uuid(),
    modelVersion: z.number().int().positive().nullable(),
    severity: z.enum(INCIDENT_SEVERITIES),
    category: z.enum(INCIDENT_CATEGORIES),
    /** What happened; may name people, so sealed under the incident's own subject key (`incident-<id>`). */
    description: personal(sealedField),
    /** When the provider became aware of the incident: the Art. 73 clock starts here. */
    awareAt: instant,
    /** Computed from awareAt and category when recorded. */
    deadline: instant,
  }),
  description: 'A serious incident involving a model was reported (EU AI Act Art. 73); the reporting deadline is computed from the awareness time and category.',
});

export const incidentUpdated = defineEvent({
  type: 'incident.updated',
  schemaVersion: 1,
  schema: z.object({
    incidentId,
    severity: z.enum(INCIDENT_SEVERITIES).optional(),
    category: z.enum(INCIDENT_CATEGORIES).optional(),
    description: personal(sealedField).optional(),
    awareAt: instant.optional(),
    /** The deadline after this update (changes with category or awareness time). */
    deadline: instant,
    /** When the market surveillance authority was notified, and its reference. */
    authorityNotifiedAt: instant.optional(),
    authorityReference: z.string().max(200).optional(),
  }),
  description: 'A reported incident changed: severity, category, description, awareness time, or the notification of the authority.',
});

export const incidentClosed = defineEvent({
  type: 'incident.closed',
  schemaVersion: 1,
  schema: z.object({ incidentId, resolution: personal(sealedField) }),
  description: 'An incident was closed with its resolution (sealed: it may name people).',
});

export const incidentEvents = [incidentReported, incidentUpdated, incidentClosed];
