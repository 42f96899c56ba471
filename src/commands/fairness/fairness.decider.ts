import type { z } from 'zod';
import type { JsonObject } from '../../events/envelope.js';
import type { fairnessAssessed, fairnessMitigationComputed } from '../../events/catalogue/fairness.events.js';
import { assertNever, type Decider, type DomainEvent } from '../decider.js';

export type FairnessAssessedData = z.infer<typeof fairnessAssessed.schema> & JsonObject;
export type MitigationComputedData = z.infer<typeof fairnessMitigationComputed.schema> & JsonObject;

/** Computed results to record; the computation itself happened before (pure, in src/analytics). */
export type FairnessCommand = { type: 'RecordAssessment'; data: FairnessAssessedData } | { type: 'RecordMitigation'; data: MitigationComputedData };

export type FairnessEvent = DomainEvent<'fairness.assessed', FairnessAssessedData> | DomainEvent<'fairness.mitigation-computed', MitigationComputedData>;

/** The request hashes already answered in this stream, per event type. */
export type FairnessState = { assessed: ReadonlySet<string>; mitigated: ReadonlySet<string> };

/** `fairness-<modelId>` for a registered model, `fairness-adhoc-<inputsHash>` for a prediction log of no model. */
export const fairnessStreamId = (modelId: string | null, inputsHash: string) => (modelId ? `fairness-${modelId}` : `fairness-adhoc-${inputsHash}`);

/**
 * Fairness results of one model (or one ad-hoc prediction log). Identical requests (same model
 * version, inputs hash, options and policy: one request hash) are recorded once: a repeat decides
 * nothing, and the caller answers from the stored event.
 */
export const fairnessDecider: Decider<FairnessCommand, FairnessEvent, FairnessState> = {
  category: 'fairness',
  initialState: () => ({ assessed: new Set(), mitigated: new Set() }),

  decide(command, state): FairnessEvent[] {
    switch (command.type) {
      case 'RecordAssessment':
        return state.assessed.has(command.data.requestHash) ? [] : [{ type: 'fairness.assessed', data: command.data }];
      case 'RecordMitigation':
        return state.mitigated.has(command.data.requestHash) ? [] : [{ type: 'fairness.mitigation-computed', data: command.data }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): FairnessState {
    switch (event.type) {
      case 'fairness.assessed':
        return { ...state, assessed: new Set([...state.assessed, event.data.requestHash]) };
      case 'fairness.mitigation-computed':
        return { ...state, mitigated: new Set([...state.mitigated, event.data.requestHash]) };
      default:
        return state;
    }
  },
};
