import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/analytics/seeded-random.js';
import { serializePredictAnswer, type PredictAnswer } from '../../src/api/routes/predict-response-serializer.js';

describe('the predict answer written directly', () => {
  it('is the text JSON.stringify writes, on answers with every kind of label, key and number', () => {
    const random = mulberry32(77);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
    const number = () => pick([random(), -random() * 1e6, 0, -0, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, NaN, Infinity, -Infinity, 3]);
    const label = () => pick(['grant', 'deny', '', 'quote " and \\ backslash', 'new\nline', 'ü ß 漢字', '\u2028', '1', '0', '__proto__', 'emoji 😀']);
    for (let i = 0; i < 500; i++) {
      const classes = Array.from({ length: 1 + Math.floor(random() * 4) }, label);
      const classification = random() < 0.6;
      const answer: PredictAnswer = {
        modelId: '0193f0c2-0000-7000-8000-000000000000',
        version: pick([1, 2, 17]),
        predictions: Array.from({ length: Math.floor(random() * 6) }, (_, k) =>
          classification
            ? { predictionId: `0193f0c2-0000-7000-8000-00000000000${k}`, prediction: pick(classes), probabilities: Object.fromEntries(classes.map((c) => [c, number()])) }
            : { predictionId: `0193f0c2-0000-7000-8000-00000000000${k}`, prediction: number() },
        ),
        latencyMs: number(),
      };
      expect(serializePredictAnswer(answer)).toBe(JSON.stringify(answer));
    }
  });
});
