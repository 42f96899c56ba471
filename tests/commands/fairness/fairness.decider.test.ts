import { describe, expect, it } from 'vitest';
import { fairnessDecider, fairnessStreamId, type FairnessAssessedData, type FairnessEvent } from '../../../src/commands/fairness/fairness.decider.js';
import { systemActor } from '../../../src/events/envelope.js';

const context = { now: new Date('2025-01-01T00:00:00Z'), actor: systemActor() };
const assessed = (requestHash: string) => ({ requestHash, modelId: null, inputsHash: 'a'.repeat(64) }) as unknown as FairnessAssessedData;
const given = (events: FairnessEvent[]) => events.reduce(fairnessDecider.evolve, fairnessDecider.initialState());

describe('fairness decider', () => {
  it('records an assessment once per request hash', () => {
    const first = fairnessDecider.decide({ type: 'RecordAssessment', data: assessed('h1') }, given([]), context);
    expect(first.map((e) => e.type)).toEqual(['fairness.assessed']);
    expect(fairnessDecider.decide({ type: 'RecordAssessment', data: assessed('h1') }, given(first), context)).toEqual([]);
    expect(fairnessDecider.decide({ type: 'RecordAssessment', data: assessed('h2') }, given(first), context)).toHaveLength(1);
  });

  it('keeps assessments and mitigations apart', () => {
    const state = given([{ type: 'fairness.assessed', data: assessed('h1') }]);
    const mitigation = fairnessDecider.decide({ type: 'RecordMitigation', data: assessed('h1') as never }, state, context);
    expect(mitigation.map((e) => e.type)).toEqual(['fairness.mitigation-computed']);
  });

  it('names streams by model, or by inputs for a log of no model', () => {
    expect(fairnessStreamId('m1', 'abc')).toBe('fairness-m1');
    expect(fairnessStreamId(null, 'abc')).toBe('fairness-adhoc-abc');
  });
});
