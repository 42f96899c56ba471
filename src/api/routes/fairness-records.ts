import { evidenceFacts, inconclusiveReasons } from '../../commands/model/evidence-sufficiency.js';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { handleCommand } from '../../commands/command-handler.js';
import { fairnessDecider, fairnessStreamId, type FairnessAssessedData, type MitigationComputedData } from '../../commands/fairness/fairness.decider.js';
import { modelDecider, modelStreamId } from '../../commands/model/model.decider.js';
import { fairnessAssessed, fairnessMitigationComputed } from '../../events/catalogue/fairness.events.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { ModelVersionRecord } from '../../projections/model-registry.projection.js';
import type { Runtime } from '../../runtime.js';
import type { LedgerPoint } from '../../projections/as-of/ledger-point.js';
import { actorOf, principalOf } from '../auth/access-control.js';
import { notFound } from '../problem-details.js';
import { freshModelVersion } from './model-read.js';

/** A model version to assess, and the event that added it (the cause of every result about it). */
export type AssessedVersion = { record: ModelVersionRecord; versionEventId: string };

/** The named version, else the deployed one, else the newest; 404 for an unknown or deleted model. */
export async function resolveModelVersion(runtime: Runtime, modelId: string, requested: number | undefined): Promise<AssessedVersion> {
  const events = await runtime.store.readStream(modelStreamId(modelId));
  let state = modelDecider.initialState();
  for (const e of events) state = modelDecider.evolve(state, runtime.catalogue.upcast(e) as never);
  if (state.status !== 'active') throw notFound(`model ${modelId}`);
  const version = requested ?? state.versions.find((v) => v.status === 'deployed')?.version ?? state.versions.at(-1)?.version;
  if (version === undefined) throw notFound(`a version of model ${modelId}`);
  const added = events.find((e) => e.type === 'model.version-added' && e.data.version === version);
  const record = added ? await freshModelVersion(runtime, modelId, version) : null;
  if (!added || !record) throw notFound(`version ${version} of model ${modelId}`);
  return { record, versionEventId: added.id };
}

/** Whether the model was registered (by `point`, when given). */
export async function modelExists(runtime: Runtime, modelId: string, point: LedgerPoint | null = null): Promise<boolean> {
  const [first] = await runtime.store.readStream(modelStreamId(modelId), { limit: 1 });
  return first !== undefined && (point === null || first.position <= point.position);
}

type Recorded = { event: StoredEvent; reused: boolean };

async function findByRequest(runtime: Runtime, streamId: string, type: string, requestHash: string): Promise<StoredEvent | null> {
  const [found] = await runtime.store.readAll({ filter: { streamId, types: [type], dataContains: { requestHash } }, limit: 1 });
  return found ? runtime.catalogue.upcast(found) : null;
}

/** The stored assessment of an identical request (same request hash), if there is one. */
export const findAssessment = (runtime: Runtime, streamId: string, requestHash: string) => findByRequest(runtime, streamId, fairnessAssessed.type, requestHash);
export const findMitigation = (runtime: Runtime, streamId: string, requestHash: string) => findByRequest(runtime, streamId, fairnessMitigationComputed.type, requestHash);

/**
 * Records a result through the fairness decider, as the caller, caused by `causationId`; an
 * identical request recorded meanwhile (a concurrent twin) is answered from the ledger instead.
 */
async function record(runtime: Runtime, request: FastifyRequest, streamId: string, command: Parameters<typeof fairnessDecider.decide>[0], causationId: string | null): Promise<Recorded> {
  const type = command.type === 'RecordAssessment' ? fairnessAssessed.type : fairnessMitigationComputed.type;
  const result = await handleCommand(runtime, fairnessDecider, streamId, command, {
    actor: actorOf(principalOf(request)),
    correlationId: request.id,
    ...(causationId ? { causationId } : {}),
  });
  const event = await findByRequest(runtime, streamId, type, command.data.requestHash);
  if (!event) throw new Error(`${type} for request ${command.data.requestHash} was not found after recording it`);
  return { event, reused: result.events.length === 0 };
}

export const recordAssessment = (runtime: Runtime, request: FastifyRequest, data: FairnessAssessedData, causationId: string | null) =>
  record(runtime, request, fairnessStreamId(data.modelId, data.inputsHash), { type: 'RecordAssessment', data }, causationId);

export const recordMitigation = (runtime: Runtime, request: FastifyRequest, data: MitigationComputedData, causationId: string | null) =>
  record(runtime, request, fairnessStreamId(data.modelId, data.inputsHash), { type: 'RecordMitigation', data }, causationId);

const actorSchema = z.object({ kind: z.enum(['user', 'service', 'system']), id: z.string(), role: z.string().optional(), apiKeyId: z.string().optional() });

const recordFields = {
  id: z.uuid().describe('The id of the ledger event holding this result'),
  position: z.number().int(),
  recordedAt: z.string(),
  actor: actorSchema,
  causationId: z.string().nullable().describe('The model.version-added event of the assessed version (null without a model)'),
  correlationId: z.string().nullable(),
  reused: z.boolean().describe('true when an identical earlier request (same request hash) answered this one; nothing new was recorded'),
};

/** Where and by whom a fairness result was recorded (the `recordFields` of the responses). */
const recordOf = (event: StoredEvent, reused: boolean) => ({
  id: event.id,
  position: event.position,
  recordedAt: event.occurredAt.toISOString(),
  actor: event.actor,
  causationId: event.causationId,
  correlationId: event.correlationId,
  reused,
});

export const assessmentSchema = fairnessAssessed.schema
  .extend({
    ...recordFields,
    passed: z.boolean().describe('No check failed and the evidence is conclusive'),
    status: z.enum(['passed', 'failed', 'inconclusive']).describe('inconclusive: no bias check could be decided (e.g. every group below minGroupSize); the deploy gate refuses it'),
    inconclusiveReasons: z.array(z.string()),
  })
  .meta({ id: 'FairnessAssessment' });

export function presentAssessment(event: StoredEvent, reused: boolean): z.infer<typeof assessmentSchema> {
  const data = fairnessAssessed.schema.parse(event.data);
  const facts = evidenceFacts('fairness.assessed', data as unknown as Record<string, unknown>);
  const gaps = facts ? inconclusiveReasons(facts) : [];
  const status = data.failedChecks.length > 0 ? 'failed' : gaps.length > 0 ? 'inconclusive' : 'passed';
  return { ...recordOf(event, reused), passed: status === 'passed', status, inconclusiveReasons: gaps, ...data };
}

export const mitigationRecordSchema = fairnessMitigationComputed.schema.extend(recordFields);

export function presentMitigation(event: StoredEvent, reused: boolean): z.infer<typeof mitigationRecordSchema> {
  return { ...recordOf(event, reused), ...fairnessMitigationComputed.schema.parse(event.data) };
}
