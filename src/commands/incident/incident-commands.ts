import { randomUUID } from 'node:crypto';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import { handleCommand, type CommandMetadata } from '../command-handler.js';
import { CommandRefused } from '../decider.js';
import { modelDecider, modelStreamId } from '../model/model.decider.js';
import type { IncidentCategory } from './incident-deadline.js';
import { incidentDecider, incidentStreamId, incidentSubjectId, type IncidentSeverity } from './incident.decider.js';

type Deps = { store: EventStore; catalogue: EventCatalogue; vault: PersonalDataVault };

export type IncidentReport = { modelId: string; modelVersion: number | null; severity: IncidentSeverity; category: IncidentCategory; description: string; awareAt: Date };
export type IncidentChanges = { severity?: IncidentSeverity; category?: IncidentCategory; description?: string; awareAt?: Date; authorityNotifiedAt?: Date; authorityReference?: string };

/** Thrown when the model (or its version) an incident names does not exist: the route answers 404. */
export class IncidentModelNotFound extends Error {}

async function requireModelVersion(deps: Deps, modelId: string, version: number | null): Promise<void> {
  const events = await deps.store.readStream(modelStreamId(modelId));
  let state = modelDecider.initialState();
  for (const e of events) state = modelDecider.evolve(state, deps.catalogue.upcast(e) as never);
  if (state.status === 'none') throw new IncidentModelNotFound(`model ${modelId}`);
  if (version !== null && !state.versions.some((v) => v.version === version)) throw new CommandRefused('VERSION_NOT_FOUND', [`the model has no version ${version}`], 400, 'modelVersion');
}

/** Records a serious incident; its description is sealed under the incident's own subject key before it reaches the ledger. */
export async function reportIncident(deps: Deps, input: IncidentReport, meta: CommandMetadata) {
  await requireModelVersion(deps, input.modelId, input.modelVersion);
  // Refused before sealing (the decider refuses it too): no subject key is made for an incident never recorded.
  if (input.awareAt.getTime() > (meta.now ?? new Date()).getTime()) throw new CommandRefused('IN_THE_FUTURE', ['awareAt is in the future'], 400, 'awareAt');
  const incidentId = randomUUID();
  const description = await deps.vault.seal(incidentSubjectId(incidentId), input.description);
  const result = await handleCommand(deps, incidentDecider, incidentStreamId(incidentId), { type: 'ReportIncident', incidentId, ...input, description }, meta);
  return { incidentId, ...result };
}

export async function updateIncident(deps: Deps, incidentId: string, changes: IncidentChanges, meta: CommandMetadata) {
  const { description, ...rest } = changes;
  const sealed = description === undefined ? {} : { description: await deps.vault.seal(incidentSubjectId(incidentId), description) };
  return handleCommand(deps, incidentDecider, incidentStreamId(incidentId), { type: 'UpdateIncident', ...rest, ...sealed }, meta);
}

export async function closeIncident(deps: Deps, incidentId: string, resolution: string, meta: CommandMetadata) {
  const sealed = await deps.vault.seal(incidentSubjectId(incidentId), resolution);
  return handleCommand(deps, incidentDecider, incidentStreamId(incidentId), { type: 'CloseIncident', resolution: sealed }, meta);
}
