import type { z } from 'zod';
import type { JsonObject } from '../../events/envelope.js';
import type { llmApiKeyReferenceSchema, llmParametersSchema, llmPricingSchema } from '../../events/catalogue/llm.events.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type LlmParameters = z.infer<typeof llmParametersSchema>;
export type LlmPricing = z.infer<typeof llmPricingSchema>;
export type ApiKeyReference = z.infer<typeof llmApiKeyReferenceSchema>;

export type LlmConfigurationFields = {
  name: string;
  provider: string;
  model: string;
  baseUrl: string | null;
  parameters: LlmParameters;
  promptTemplate: string;
  active: boolean;
  pricing: LlmPricing | null;
  apiKey: ApiKeyReference;
};

export type LlmConfigurationCommand =
  | ({ type: 'CreateConfiguration'; configurationId: string; createdBy: string } & LlmConfigurationFields)
  | { type: 'UpdateConfiguration'; changes: Partial<LlmConfigurationFields>; updatedBy: string }
  | { type: 'DeleteConfiguration'; deletedBy: string };

type Data<T> = T & JsonObject;
export type LlmConfigurationEvent =
  | DomainEvent<'llm.configuration-created', Data<{ configurationId: string; createdBy: string } & LlmConfigurationFields>>
  | DomainEvent<'llm.configuration-updated', Data<{ configurationId: string; updatedBy: string } & Partial<LlmConfigurationFields>>>
  | DomainEvent<'llm.configuration-deleted', Data<{ configurationId: string; deletedBy: string }>>;

export type LlmConfigurationState =
  | { status: 'none' }
  | ({ status: 'live' | 'deleted'; configurationId: string } & LlmConfigurationFields);

export const llmConfigurationStreamId = (configurationId: string) => `llm-configuration-${configurationId}`;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const jsonClone = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/**
 * An LLM configuration. An update records only the fields that change (none: nothing recorded).
 * A key is bound to where it is sent: changing the provider or base URL of a configuration that
 * has a key needs the key given again, so nobody can redirect a stored key to a server of theirs.
 */
export const llmConfigurationDecider: Decider<LlmConfigurationCommand, LlmConfigurationEvent, LlmConfigurationState> = {
  category: 'llm-configuration',
  initialState: () => ({ status: 'none' }),

  decide(command, state): LlmConfigurationEvent[] {
    switch (command.type) {
      case 'CreateConfiguration': {
        if (state.status !== 'none') throw new CommandRefused('CONFIGURATION_EXISTS', ['the configuration already exists']);
        const { type: _type, ...created } = command;
        return [{ type: 'llm.configuration-created', data: jsonClone(created) }];
      }
      case 'UpdateConfiguration': {
        if (state.status === 'none') throw new CommandRefused('CONFIGURATION_NOT_FOUND', ['no such configuration'], 422);
        if (state.status === 'deleted') throw new CommandRefused('CONFIGURATION_DELETED', ['the configuration was deleted']);
        const changed = Object.fromEntries(Object.entries(command.changes).filter(([k, v]) => v !== undefined && !same(v, state[k as keyof LlmConfigurationFields]))) as Partial<LlmConfigurationFields>;
        const redirected = changed.baseUrl !== undefined || changed.provider !== undefined;
        if (redirected && state.apiKey.source !== 'none' && command.changes.apiKey === undefined) {
          throw new CommandRefused('API_KEY_REQUIRED', ['give the API key again when changing the provider or base URL it is sent to'], 400, 'apiKey');
        }
        if (Object.keys(changed).length === 0) return [];
        return [{ type: 'llm.configuration-updated', data: jsonClone({ configurationId: state.configurationId, ...changed, updatedBy: command.updatedBy }) }];
      }
      case 'DeleteConfiguration':
        if (state.status === 'none') throw new CommandRefused('CONFIGURATION_NOT_FOUND', ['no such configuration'], 422);
        if (state.status === 'deleted') throw new CommandRefused('CONFIGURATION_DELETED', ['the configuration was already deleted']);
        return [{ type: 'llm.configuration-deleted', data: { configurationId: state.configurationId, deletedBy: command.deletedBy } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): LlmConfigurationState {
    switch (event.type) {
      case 'llm.configuration-created': {
        const { createdBy: _by, ...fields } = event.data;
        return { status: 'live', ...fields };
      }
      case 'llm.configuration-updated': {
        if (state.status === 'none') return state;
        const { updatedBy: _by, configurationId: _id, ...changes } = event.data;
        return { ...state, ...changes };
      }
      case 'llm.configuration-deleted':
        return state.status === 'none' ? state : { ...state, status: 'deleted' };
      default:
        return assertNever(event);
    }
  },
};
