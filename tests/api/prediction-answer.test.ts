import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../src/api/problem-details.js';
import { predictionAnswer } from '../../src/api/routes/prediction-answer.js';

const ids = ['018f0000-0000-7000-8000-000000000001', '018f0000-0000-7000-8000-000000000002', '018f0000-0000-7000-8000-000000000003'];
const modelId = '6f1c2a9e-5b3d-4e8f-9a7b-1c2d3e4f5a6b';

describe('a predict answer written as JSON text', () => {
  it('regression: the text JSON.stringify makes of the answer object, and each log entry the prediction object', () => {
    // Values whose shortest round-trip forms differ in shape: -0 prints as 0, tiny and huge use exponents.
    const values = [0.1 + 0.2, -0, 1e-7, 123456789012345680000];
    const four = [...ids, '018f0000-0000-7000-8000-000000000004'];
    const answer = predictionAnswer(modelId, 3, four, { predictions: Float64Array.from(values), probabilities: null }, null, 1.25, 'body.instances');
    const expected = { modelId, version: 3, predictions: four.map((predictionId, i) => ({ predictionId, prediction: values[i] })), latencyMs: 1.25 };
    expect(answer.text).toBe(JSON.stringify(expected));
    expect(answer.predictionJsons).toEqual(values.map((prediction) => JSON.stringify({ prediction })));
    expect(answer.scores).toEqual(values);
  });

  it('classification: class names escaped, probabilities keyed as an object orders them (integer-like names first), binary score = second class', () => {
    const classes = ['yes "quoted"', '1', '0'];
    const probabilities = Float64Array.from([0.2, 0.3, 0.5, 0.6, 0.3, 0.1, 1 / 3, 1 / 3, 1 / 3]);
    const answer = predictionAnswer(modelId, 1, ids, { predictions: Float64Array.from([2, 0, 1]), probabilities }, classes, 0.5, 'body.instances');
    const entry = (i: number, predicted: number) => ({ prediction: classes[predicted], probabilities: Object.fromEntries(classes.map((c, j) => [c, probabilities[i * 3 + j]])) });
    const entries = [entry(0, 2), entry(1, 0), entry(2, 1)];
    expect(answer.text).toBe(JSON.stringify({ modelId, version: 1, predictions: entries.map((e, i) => ({ predictionId: ids[i], ...e })), latencyMs: 0.5 }));
    // As an object orders them: "0", "1", then the other name.
    expect(Object.keys(JSON.parse(answer.text).predictions[0].probabilities)).toEqual(['0', '1', 'yes "quoted"']);
    expect(answer.predictionJsons).toEqual(entries.map((e) => JSON.stringify(e)));
    expect(answer.scores).toEqual([null, null, null]);

    const binary = predictionAnswer(modelId, 1, ids.slice(0, 2), { predictions: Float64Array.from([1, 0]), probabilities: Float64Array.from([0.25, 0.75, 0.9, 0.1]) }, ['deny', 'grant'], 0.5, 'body.instances');
    expect(binary.scores).toEqual([0.75, 0.1]);
    expect(JSON.parse(binary.text).predictions).toEqual([
      { predictionId: ids[0], prediction: 'grant', probabilities: { deny: 0.25, grant: 0.75 } },
      { predictionId: ids[1], prediction: 'deny', probabilities: { deny: 0.9, grant: 0.1 } },
    ]);
  });

  it('refuses an output that is not a finite number (422), naming the instance in the field it was sent in', () => {
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (error) {
        return error as HttpProblem;
      }
      throw new Error('not refused');
    };
    const regression = refusal(() => predictionAnswer(modelId, 1, ids, { predictions: Float64Array.from([1, 2, Infinity]), probabilities: null }, null, 1, 'body.rows'));
    expect(regression).toBeInstanceOf(HttpProblem);
    expect([regression.status, regression.extra.errors]).toEqual([422, [{ field: 'body.rows.2', message: "the model's output is not a finite number" }]]);
    const classified = refusal(() => predictionAnswer(modelId, 1, ids.slice(0, 2), { predictions: Float64Array.from([0, 0]), probabilities: Float64Array.from([0.5, 0.5, NaN, NaN]) }, ['a', 'b'], 1, 'body.instances'));
    expect(classified.extra.errors).toEqual([{ field: 'body.instances.1', message: "the model's output is not a finite number" }]);
  });
});
