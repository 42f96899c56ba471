import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { closeIncident, IncidentModelNotFound, reportIncident, updateIncident } from '../../commands/incident/incident-commands.js';
import { incidentStreamId } from '../../commands/incident/incident.decider.js';
import { INCIDENT_CATEGORIES, INCIDENT_SEVERITIES } from '../../events/catalogue/incident.events.js';
import { listIncidents, readIncident, type IncidentView } from '../../processors/compliance/incident-register.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { personalDataViewOf } from '../personal-data-view.js';
import { notFound, problemSchema } from '../problem-details.js';
import { pageFields, pageQuery, sortedSlice, sortQueryInMemory, type ListInMemoryOrder } from '../pagination.js';
import { ledgerSortQuery, streamPage } from '../ledger-page.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const idParams = z.strictObject({ id: z.uuid() });

const incidentSchema = z
  .object({
    incidentId: z.uuid(),
    modelId: z.uuid(),
    modelVersion: z.number().int().nullable(),
    severity: z.string(),
    category: z.string(),
    description: z.string().describe('In clear with personal-data:read, else a pseudonym; [redacted] after erasure'),
    resolution: z.string().nullable(),
    status: z.enum(['open', 'closed']),
    awareAt: z.string(),
    deadline: z.string().describe('awareAt + reportingDays (EU AI Act Art. 73(2)-(4))'),
    reportingDays: z.number().int(),
    authorityNotifiedAt: z.string().nullable(),
    authorityReference: z.string().nullable(),
    overdue: z.boolean().describe('Notified after the deadline, or not notified and the deadline has passed'),
    reportedBy: z.string(),
    reportedAt: z.string(),
    closedAt: z.string().nullable(),
    streamVersion: z.number().int(),
    events: z.array(z.object({ eventId: z.string(), position: z.number().int(), type: z.string(), occurredAt: z.string() })),
  })
  .meta({ id: 'Incident' });
const written = z.object({ incidentId: z.uuid(), deadline: z.string(), position: z.number().int() });

/** The incident list's sort fields; the latest reported first unless asked otherwise (ISO instants sort as text). */
const incidentListOrder: ListInMemoryOrder<IncidentView, 'reportedAt' | 'deadline' | 'awareAt' | 'severity'> = {
  fields: { reportedAt: (i) => i.reportedAt, deadline: (i) => i.deadline, awareAt: (i) => i.awareAt, severity: (i) => i.severity },
  id: (i) => i.incidentId,
  defaultSort: 'reportedAt',
  defaultOrder: 'desc',
};

/** Serious incidents on models (EU AI Act Art. 73): report, update (incl. the authority's notification), close, read with deadlines. */
export function incidentRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    const meta = (request: Parameters<typeof principalOf>[0]) => ({ actor: actorOf(principalOf(request)), correlationId: request.id });
    const existing = async (id: string) => {
      if ((await runtime.store.readStream(incidentStreamId(id), { limit: 1 })).length === 0) throw notFound(`incident ${id}`);
    };
    const deadlineOf = async (id: string) => (await readIncident(runtime, id, 'pseudonymised'))!.deadline;

    app.post('/api/v1/incidents', {
      config: { permission: 'incidents:report' },
      schema: {
        tags: ['incidents'],
        summary: 'Report a serious incident on a model (version); the Art. 73 reporting deadline is computed from the awareness time',
        description:
          'Deadline: awareAt + 15 days (Art. 73(2)); 2 days for a widespread infringement or a serious and irreversible disruption of critical infrastructure (Art. 73(3)); 10 days in case of death (Art. 73(4)). The description may name people: it is sealed under the incident\'s own subject key (`incident-<id>`).',
        body: z.strictObject({
          modelId: z.uuid(),
          modelVersion: z.number().int().positive().nullable().default(null),
          severity: z.enum(INCIDENT_SEVERITIES),
          category: z.enum(INCIDENT_CATEGORIES).default('serious-incident'),
          description: z.string().trim().min(1).max(10_000),
          awareAt: isoTime,
        }),
        response: { 201: written, ...errors },
      },
    }, async (request, reply) => {
      try {
        const result = await reportIncident(runtime, request.body, meta(request));
        void reply.status(201).header('location', `/api/v1/incidents/${result.incidentId}`);
        return { incidentId: result.incidentId, deadline: await deadlineOf(result.incidentId), position: result.position };
      } catch (error) {
        if (error instanceof IncidentModelNotFound) throw notFound(error.message);
        throw error;
      }
    });

    app.get('/api/v1/incidents', {
      config: { permission: 'compliance:read' },
      schema: {
        tags: ['incidents'],
        summary: 'Serious incidents, newest first unless sorted otherwise, with deadline and overdue flag',
        querystring: z.strictObject({ modelId: z.uuid().optional(), status: z.enum(['open', 'closed']).optional(), overdue: z.enum(['true', 'false']).optional(), ...pageQuery(50), ...sortQueryInMemory(incidentListOrder) }),
        response: { 200: z.object({ incidents: z.array(incidentSchema), ...pageFields }), ...errors },
      },
    }, async (request) => {
      const { overdue, limit, offset, sort, order, ...filter } = request.query;
      const incidents = await listIncidents(runtime, personalDataViewOf(principalOf(request)), { ...filter, ...(overdue ? { overdue: overdue === 'true' } : {}) });
      // Incidents are replayed from the ledger (incident-register.ts), so they are paged in memory.
      const { items, page } = sortedSlice(incidents, { limit, offset, sort, order }, incidentListOrder);
      return { incidents: items, ...page };
    });

    app.get('/api/v1/incidents/:id', {
      config: { permission: 'compliance:read' },
      schema: {
        tags: ['incidents'],
        summary: 'One incident with its deadline, overdue flag and a page of its events (oldest first unless `order=desc`)',
        description: 'The page fields are those of `events`: the incident\'s stream is read whole (its fields need every event) and its events cut into pages in stream order (ledger position), so pages never repeat or skip one. In the incident list each incident carries all its events.',
        params: idParams,
        querystring: z.strictObject({ ...pageQuery(100), ...ledgerSortQuery('asc') }),
        response: { 200: incidentSchema.extend(pageFields), ...errors },
      },
    }, async (request) => {
      const incident = await readIncident(runtime, request.params.id, personalDataViewOf(principalOf(request)));
      if (!incident) throw notFound(`incident ${request.params.id}`);
      const { items, ...paging } = streamPage(incident.events, request.query);
      return { ...incident, events: items, ...paging };
    });

    app.put('/api/v1/incidents/:id', {
      config: { permission: 'incidents:report' },
      schema: {
        tags: ['incidents'],
        summary: 'Update an open incident: severity, category, description, awareness time, or the notification of the authority (the deadline is recomputed)',
        params: idParams,
        body: z.strictObject({
          severity: z.enum(INCIDENT_SEVERITIES).optional(),
          category: z.enum(INCIDENT_CATEGORIES).optional(),
          description: z.string().trim().min(1).max(10_000).optional(),
          awareAt: isoTime.optional(),
          authorityNotifiedAt: isoTime.optional(),
          authorityReference: z.string().trim().min(1).max(200).optional(),
        }),
        response: { 200: written, ...errors },
      },
    }, async (request) => {
      await existing(request.params.id);
      const result = await updateIncident(runtime, request.params.id, request.body, meta(request));
      return { incidentId: request.params.id, deadline: await deadlineOf(request.params.id), position: result.position };
    });

    app.post('/api/v1/incidents/:id/close', {
      config: { permission: 'incidents:report' },
      schema: {
        tags: ['incidents'],
        summary: 'Close an incident with its resolution (sealed: it may name people)',
        params: idParams,
        body: z.strictObject({ resolution: z.string().trim().min(1).max(10_000) }),
        response: { 200: written, ...errors },
      },
    }, async (request) => {
      await existing(request.params.id);
      const result = await closeIncident(runtime, request.params.id, request.body.resolution, meta(request));
      return { incidentId: request.params.id, deadline: await deadlineOf(request.params.id), position: result.position };
    });
  };
}
