import { createHash } from 'node:crypto';
import type { z } from 'zod';
import { llmConfigurationDecider, llmConfigurationStreamId, type LlmConfigurationEvent, type LlmConfigurationState } from '../../commands/llm-configuration/llm-configuration.decider.js';
import type { evaluatedConfigurationSchema } from '../../events/catalogue/evaluation.events.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import { InvalidLlmInput } from '../llm/llm-errors.js';

export type EvaluatedConfiguration = z.infer<typeof evaluatedConfigurationSchema>;
export type LiveConfiguration = Exclude<LlmConfigurationState, { status: 'none' }>;

async function fold(deps: { store: EventStore; catalogue: EventCatalogue }, configurationId: string, toVersion?: number): Promise<{ state: LlmConfigurationState; version: number | null }> {
  const events = await deps.store.readStream(llmConfigurationStreamId(configurationId), toVersion === undefined ? {} : { toVersion });
  let state = llmConfigurationDecider.initialState();
  for (const e of events) state = llmConfigurationDecider.evolve(state, deps.catalogue.upcast(e) as unknown as LlmConfigurationEvent);
  return { state, version: events.at(-1)?.streamVersion ?? null };
}

/** A live, active configuration as it stands now, pinned by its stream version; a 400 naming `field` otherwise. */
export async function pinConfiguration(deps: { store: EventStore; catalogue: EventCatalogue }, configurationId: string, field: string): Promise<{ pinned: EvaluatedConfiguration; configuration: LiveConfiguration }> {
  const { state, version } = await fold(deps, configurationId);
  if (state.status !== 'live' || version === null) throw new InvalidLlmInput([{ field, message: `configuration ${configurationId} does not exist` }]);
  if (!state.active) throw new InvalidLlmInput([{ field, message: `configuration ${state.name} is not active` }]);
  return {
    configuration: state,
    pinned: {
      configurationId,
      version,
      provider: state.provider,
      model: state.model,
      baseUrl: state.baseUrl,
      parameters: state.parameters,
      pricing: state.pricing,
      promptTemplateSha256: createHash('sha256').update(state.promptTemplate).digest('hex'),
    },
  };
}

/** The configuration as it stood at the version an evaluation pinned (later changes do not reach a run); null if it is gone. */
export async function configurationAt(deps: { store: EventStore; catalogue: EventCatalogue }, pinned: EvaluatedConfiguration): Promise<LiveConfiguration | null> {
  const { state } = await fold(deps, pinned.configurationId, pinned.version);
  return state.status === 'live' ? state : null;
}
