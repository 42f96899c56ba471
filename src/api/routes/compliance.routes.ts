import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { compliancePackStreamId } from '../../commands/compliance/compliance-pack.decider.js';
import { defineControl, publishCustomPack, setApplicability } from '../../commands/compliance/custom-packs.js';
import { publishShippedPacks } from '../../commands/compliance/shipped-packs.js';
import { controlSchema } from '../../events/catalogue/compliance.events.js';
import { CONTROL_STATUSES } from '../../processors/compliance/control-evaluation.js';
import { complianceStatus, loadPackFacts, StatusTargetNotFound } from '../../processors/compliance/compliance-status.js';
import { applicabilityKey } from '../../processors/compliance/ledger-facts.js';
import { LedgerPointOutOfRange, resolveLedgerPoint } from '../../processors/compliance/ledger-point.js';
import type { Runtime } from '../../runtime.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { invalidFields, notFound, problemSchema } from '../problem-details.js';

const errors = { 400: problemSchema, 401: problemSchema, 403: problemSchema, 404: problemSchema, 409: problemSchema, 422: problemSchema };
const isoTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

const evidenceRefSchema = z.object({ eventId: z.string(), position: z.number().int(), type: z.string(), occurredAt: z.string() }).meta({ id: 'EvidenceRef' });
const countsSchema = z.object(Object.fromEntries(CONTROL_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof CONTROL_STATUSES)[number], z.ZodNumber>).meta({ id: 'ComplianceCounts' });
const packHeaderSchema = z.object({ packId: z.uuid(), framework: z.string(), version: z.string(), title: z.string(), origin: z.enum(['shipped', 'custom']) });
const controlResultSchema = z
  .object({
    controlId: z.string(),
    title: z.string(),
    status: z.enum(CONTROL_STATUSES),
    notApplicable: z.object({ reason: z.string(), evidence: z.array(evidenceRefSchema) }).nullable(),
    gaps: z.array(z.string()),
    requirements: z.array(
      z.object({ id: z.string(), label: z.string(), status: z.enum(['met', 'stale', 'missing']), gap: z.string().nullable(), detail: z.string().nullable(), evidence: z.array(evidenceRefSchema).describe('The newest proving events, at most 20'), evidenceTotal: z.number().int() }),
    ),
  })
  .meta({ id: 'ControlResult' });
const statusSchema = z
  .object({
    position: z.number().int().describe('The ledger position the answer reflects'),
    asOf: z.string().describe('The instant freshness windows are measured to'),
    frameworks: z.array(packHeaderSchema),
    summary: z.object({ models: z.number().int(), modelsFullyCompliant: z.number().int(), counts: countsSchema, byFramework: z.array(packHeaderSchema.extend({ counts: countsSchema })) }),
    models: z.array(
      z.object({
        modelId: z.string(),
        name: z.string(),
        riskTier: z.string(),
        type: z.string(),
        version: z.number().int().nullable(),
        versionStatus: z.string().nullable(),
        counts: countsSchema,
        frameworks: z.array(packHeaderSchema.extend({ counts: countsSchema, controls: z.array(controlResultSchema) })),
      }),
    ),
  })
  .meta({ id: 'ComplianceStatus' });

const statementSchema = z.object({ applicable: z.boolean(), justification: z.string(), eventId: z.string(), position: z.number().int(), setAt: z.string() }).meta({ id: 'StatementOfApplicability' });
const packSchema = packHeaderSchema.extend({ position: z.number().int(), controls: z.array(controlSchema.extend({ applicability: statementSchema.nullable() })) }).meta({ id: 'CompliancePack' });
const packParams = z.strictObject({ id: z.uuid().describe('The control pack') });
const written = z.object({ packId: z.uuid(), eventId: z.string(), position: z.number().int() });

/**
 * Compliance as code (docs/compliance.md): control packs (shipped and custom), statements of
 * applicability, and the status of each model version against them, now or as the ledger stood.
 */
export function complianceRoutes(runtime: Runtime): FastifyPluginAsyncZod {
  return async (app) => {
    // With RAIA_COMPLIANCE_PACKS=on-demand the shipped packs are published here, once per process.
    let shipped: Promise<unknown> | null = null;
    const ensureShippedPacks = async () => {
      shipped ??= publishShippedPacks(runtime).catch((error: unknown) => {
        shipped = null;
        throw error;
      });
      await shipped;
    };
    const meta = (request: Parameters<typeof principalOf>[0]) => ({ actor: actorOf(principalOf(request)), correlationId: request.id });
    const requirePack = async (packId: string) => {
      if ((await runtime.store.readStream(compliancePackStreamId(packId), { limit: 1 })).length === 0) throw notFound(`control pack ${packId}`);
    };

    app.get('/api/v1/compliance/status', {
      config: { permission: 'compliance:read' },
      schema: {
        tags: ['compliance'],
        summary: 'Compliance of every model (or one) with the control packs in force: per control met / partial / missing / stale / not_applicable, the events that prove it and the gaps; with a portfolio summary',
        description:
          'Each model is judged by its deployed version (else its newest version not retired), or by `version`. `asOf` (an instant) or `atPosition` evaluates over the ledger as it stood then: only events at or before that position count, freshness is measured to that instant, and `position` in the answer names it. `framework` is a framework name (`EU AI Act`) or a pack id; `status` keeps only controls (and models) with that status. Each requirement lists its newest 20 proving events and counts them all.',
        querystring: z.strictObject({
          modelId: z.uuid().optional(),
          version: z.coerce.number().int().positive().optional(),
          framework: z.string().min(1).max(100).optional(),
          status: z.enum(CONTROL_STATUSES).optional(),
          asOf: isoTime.optional(),
          atPosition: z.coerce.number().int().min(0).optional(),
          detail: z.enum(['full', 'summary']).default('full').describe('summary: counts per model and framework, no controls'),
        }),
        response: { 200: statusSchema, ...errors },
      },
    }, async (request) => {
      const { asOf, atPosition, ...query } = request.query;
      if (query.version !== undefined && !query.modelId) throw invalidFields([{ field: 'querystring.version', message: 'needs modelId' }]);
      await ensureShippedPacks();
      try {
        const point = await resolveLedgerPoint(runtime.store, { ...(asOf ? { asOf } : {}), ...(atPosition !== undefined ? { atPosition } : {}) });
        return await complianceStatus(runtime, point, query);
      } catch (error) {
        if (error instanceof LedgerPointOutOfRange) throw invalidFields([{ field: `querystring.${error.field}`, message: error.message }]);
        if (error instanceof StatusTargetNotFound) throw notFound(error.message);
        throw error;
      }
    });

    app.get('/api/v1/compliance/packs', {
      config: { permission: 'compliance:read' },
      schema: {
        tags: ['compliance'],
        summary: 'The published control packs (shipped and custom), oldest first',
        response: { 200: z.object({ position: z.number().int(), packs: z.array(packHeaderSchema.extend({ controls: z.number().int(), statements: z.number().int() })) }), ...errors },
      },
    }, async () => {
      await ensureShippedPacks();
      const facts = await loadPackFacts(runtime, (await runtime.store.head()).position);
      const packs = [...facts.packs.values()].map((p) => ({
        packId: p.packId,
        framework: p.framework,
        version: p.version,
        title: p.title,
        origin: p.origin,
        controls: p.controls.length,
        statements: p.controls.filter((c) => facts.applicability.has(applicabilityKey(p.packId, c.id))).length,
      }));
      return { position: facts.position, packs };
    });

    app.get('/api/v1/compliance/packs/:id', {
      config: { permission: 'compliance:read' },
      schema: { tags: ['compliance'], summary: 'A control pack: its controls, their declared evidence and their statements of applicability', params: packParams, response: { 200: packSchema, ...errors } },
    }, async (request) => {
      await ensureShippedPacks();
      const facts = await loadPackFacts(runtime, (await runtime.store.head()).position);
      const pack = facts.packs.get(request.params.id);
      if (!pack) throw notFound(`control pack ${request.params.id}`);
      const statementOf = (controlId: string) => {
        const e = facts.applicability.get(applicabilityKey(pack.packId, controlId))?.at(-1);
        return e ? { applicable: e.data.applicable as boolean, justification: e.data.justification as string, eventId: e.id, position: e.position, setAt: e.occurredAt.toISOString() } : null;
      };
      return { packId: pack.packId, framework: pack.framework, version: pack.version, title: pack.title, origin: pack.origin, position: facts.position, controls: pack.controls.map((c) => ({ ...c, applicability: statementOf(c.id) })) };
    });

    app.post('/api/v1/compliance/packs', {
      config: { permission: 'compliance:manage' },
      schema: {
        tags: ['compliance'],
        summary: 'Publish a custom control pack (a framework version of your own); its id follows from framework and version',
        body: z.strictObject({ framework: z.string().trim().min(1).max(100), version: z.string().trim().min(1).max(40), title: z.string().trim().min(1).max(300), controls: z.array(controlSchema).min(1).max(500) }),
        response: { 201: written, ...errors },
      },
    }, async (request, reply) => {
      await ensureShippedPacks();
      const result = await publishCustomPack(runtime, request.body, meta(request));
      void reply.status(201).header('location', `/api/v1/compliance/packs/${result.packId}`);
      return { packId: result.packId, eventId: result.events[0]!.id, position: result.position };
    });

    app.post('/api/v1/compliance/packs/:id/controls', {
      config: { permission: 'compliance:manage' },
      schema: { tags: ['compliance'], summary: 'Add a control to a custom pack, or replace the control of the same id (shipped packs are immutable: 409)', params: packParams, body: controlSchema, response: { 200: written, ...errors } },
    }, async (request) => {
      await ensureShippedPacks();
      await requirePack(request.params.id);
      const result = await defineControl(runtime, request.params.id, request.body, meta(request));
      return { packId: request.params.id, eventId: result.events[0]!.id, position: result.position };
    });

    app.put('/api/v1/compliance/packs/:id/controls/:controlId/applicability', {
      config: { permission: 'compliance:manage' },
      schema: {
        tags: ['compliance'],
        summary: 'Statement of applicability of one control (ISO/IEC 42001 6.1.3 d): applicable or not, with its justification',
        description: 'A control stated not applicable evaluates as `not_applicable` for every model, with the justification as the reason. For organisational controls (evidence scope `control`), an applicable statement is the evidence.',
        params: packParams.extend({ controlId: z.string().min(1).max(60) }),
        body: z.strictObject({ applicable: z.boolean(), justification: z.string().trim().min(1).max(4000) }),
        response: { 200: written, ...errors },
      },
    }, async (request) => {
      await ensureShippedPacks();
      await requirePack(request.params.id);
      const facts = await loadPackFacts(runtime, (await runtime.store.head()).position);
      if (!facts.packs.get(request.params.id)?.controls.some((c) => c.id === request.params.controlId)) throw notFound(`control ${request.params.controlId} of pack ${request.params.id}`);
      const result = await setApplicability(runtime, request.params.id, { controlId: request.params.controlId, ...request.body }, meta(request));
      return { packId: request.params.id, eventId: result.events[0]!.id, position: result.position };
    });
  };
}
