import type { z } from 'zod';
import type { JsonObject } from '../../events/envelope.js';
import type { evaluationCompleted, evaluationCreated, evaluationItemFailed, evaluationItemScored, evaluationStarted, evaluationStopped } from '../../events/catalogue/evaluation.events.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type EvaluationDefinition = z.infer<typeof evaluationCreated.schema>;
export type ItemScored = z.infer<typeof evaluationItemScored.schema>;
export type ItemFailed = z.infer<typeof evaluationItemFailed.schema>;
export type EvaluationCompletion = z.infer<typeof evaluationCompleted.schema>;
type Started = z.infer<typeof evaluationStarted.schema>;
type Stopped = z.infer<typeof evaluationStopped.schema>;

/** One piece of work: an item (or one of its counterfactual variants) answered by one configuration. */
export type WorkUnit = { configurationId: string; itemIndex: number; variant: string | null };
export const unitKey = (u: WorkUnit) => `${u.configurationId}:${u.itemIndex}:${u.variant ?? ''}`;

/** The counterfactual groups in name order: a JSON object's key order does not survive jsonb, so none is relied on. */
export const counterfactualGroups = (definition: Pick<EvaluationDefinition, 'counterfactual'>) => Object.keys(definition.counterfactual?.groups ?? {}).sort();

/** Every unit of an evaluation in the order the runner takes them: item by item, each variant, each configuration. */
export function workUnits(definition: Pick<EvaluationDefinition, 'items' | 'configurations' | 'counterfactual'>): WorkUnit[] {
  const variants: (string | null)[] = [null, ...counterfactualGroups(definition)];
  const units: WorkUnit[] = [];
  for (let itemIndex = 0; itemIndex < definition.items.length; itemIndex++) {
    for (const variant of variants) for (const c of definition.configurations) units.push({ configurationId: c.configurationId, itemIndex, variant });
  }
  return units;
}

export type EvaluationCommand =
  | { type: 'CreateEvaluation'; definition: EvaluationDefinition }
  | { type: 'StartEvaluation'; startedBy: string; estimate: Started['estimate'] }
  | { type: 'StopEvaluation'; reason: Stopped['reason']; stoppedBy: string; detail: string }
  | { type: 'RecordItemScored'; result: ItemScored }
  | { type: 'RecordItemFailed'; failure: ItemFailed }
  | { type: 'CompleteEvaluation'; completion: Omit<EvaluationCompletion, 'itemsScored' | 'itemsFailed' | 'spentUsd'> };

type Data<T> = T & JsonObject;
export type EvaluationEvent =
  | DomainEvent<'evaluation.created', Data<EvaluationDefinition>>
  | DomainEvent<'evaluation.started', Data<Started>>
  | DomainEvent<'evaluation.stopped', Data<Stopped>>
  | DomainEvent<'evaluation.item-scored', Data<ItemScored>>
  | DomainEvent<'evaluation.item-failed', Data<ItemFailed>>
  | DomainEvent<'evaluation.completed', Data<EvaluationCompletion>>;

export type EvaluationStatus = 'created' | 'running' | 'stopped' | 'completed';

export type EvaluationState =
  | { status: 'none' }
  | {
      status: EvaluationStatus;
      definition: EvaluationDefinition;
      unitsTotal: number;
      /** Units with a score (kept across runs). */
      scored: Set<string>;
      /** Units that failed in the current run (a new start tries them again). */
      failed: Set<string>;
      spentUsd: number;
    };

export const evaluationStreamId = (evaluationId: string) => `evaluation-${evaluationId}`;

const money = (usd: number) => Math.round(usd * 1e9) / 1e9;

/**
 * An evaluation: created with everything that pins its results, started (and stopped, and started
 * again) any number of times, each unit scored once, completed when every unit has a result.
 */
export const evaluationDecider: Decider<EvaluationCommand, EvaluationEvent, EvaluationState> = {
  category: 'evaluation',
  initialState: () => ({ status: 'none' }),

  decide(command, state): EvaluationEvent[] {
    if (command.type === 'CreateEvaluation') {
      if (state.status !== 'none') throw new CommandRefused('EVALUATION_EXISTS', ['the evaluation exists already']);
      return [{ type: 'evaluation.created', data: JSON.parse(JSON.stringify(command.definition)) as Data<EvaluationDefinition> }];
    }
    if (state.status === 'none') throw new CommandRefused('EVALUATION_NOT_FOUND', ['no such evaluation'], 422);
    const evaluationId = state.definition.evaluationId;
    switch (command.type) {
      case 'StartEvaluation':
        if (state.status === 'running') throw new CommandRefused('EVALUATION_RUNNING', ['the evaluation is running already']);
        if (state.status === 'completed') throw new CommandRefused('EVALUATION_COMPLETED', ['the evaluation is completed; create a new one to run again']);
        if (state.definition.budgetUsd !== null && state.spentUsd >= state.definition.budgetUsd) {
          throw new CommandRefused('EVALUATION_BUDGET_SPENT', [`the budget of ${state.definition.budgetUsd} USD is spent (${state.spentUsd} USD)`]);
        }
        return [{ type: 'evaluation.started', data: { evaluationId, startedBy: command.startedBy, estimate: command.estimate } }];
      case 'StopEvaluation':
        if (state.status !== 'running') throw new CommandRefused('EVALUATION_NOT_RUNNING', [`the evaluation is ${state.status}, not running`]);
        return [{ type: 'evaluation.stopped', data: { evaluationId, reason: command.reason, stoppedBy: command.stoppedBy, detail: command.detail, spentUsd: money(state.spentUsd) } }];
      case 'RecordItemScored': {
        const key = unitKey(command.result);
        if (state.status !== 'running') throw new CommandRefused('EVALUATION_NOT_RUNNING', [`the evaluation is ${state.status}, not running`]);
        if (state.scored.has(key)) return [];
        return [{ type: 'evaluation.item-scored', data: JSON.parse(JSON.stringify(command.result)) as Data<ItemScored> }];
      }
      case 'RecordItemFailed': {
        const key = unitKey(command.failure);
        if (state.status !== 'running') throw new CommandRefused('EVALUATION_NOT_RUNNING', [`the evaluation is ${state.status}, not running`]);
        if (state.scored.has(key) || state.failed.has(key)) return [];
        return [{ type: 'evaluation.item-failed', data: { ...command.failure } }];
      }
      case 'CompleteEvaluation': {
        if (state.status !== 'running') throw new CommandRefused('EVALUATION_NOT_RUNNING', [`the evaluation is ${state.status}, not running`]);
        const open = state.unitsTotal - state.scored.size - state.failed.size;
        if (open > 0) throw new CommandRefused('EVALUATION_UNFINISHED', [`${open} units have no result yet`]);
        const completion = JSON.parse(JSON.stringify(command.completion)) as Omit<EvaluationCompletion, 'itemsScored' | 'itemsFailed' | 'spentUsd'>;
        return [{ type: 'evaluation.completed', data: { ...completion, itemsScored: state.scored.size, itemsFailed: state.failed.size, spentUsd: money(state.spentUsd) } as Data<EvaluationCompletion> }];
      }
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): EvaluationState {
    if (event.type === 'evaluation.created') {
      return { status: 'created', definition: event.data, unitsTotal: workUnits(event.data).length, scored: new Set(), failed: new Set(), spentUsd: 0 };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'evaluation.started':
        return { ...state, status: 'running', failed: new Set() };
      case 'evaluation.stopped':
        return { ...state, status: 'stopped' };
      case 'evaluation.item-scored':
        // Mutated in place: a run folds thousands of these, and states are never shared between folds.
        state.scored.add(unitKey(event.data));
        state.spentUsd += event.data.costUsd ?? 0;
        return state;
      case 'evaluation.item-failed':
        state.failed.add(unitKey(event.data));
        return state;
      case 'evaluation.completed':
        return { ...state, status: 'completed' };
      default:
        return assertNever(event);
    }
  },
};
