import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import { serializerCompiler } from 'fastify-type-provider-zod';

export type PredictAnswer = {
  modelId: string;
  version: number;
  predictions: { predictionId: string; prediction: string | number; probabilities?: Record<string, number> }[];
  latencyMs: number;
};

/** A number as JSON.stringify writes it (a non-finite one as null). */
const jsonNumber = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

/**
 * The 200 answer of `POST /models/:id/predict` written directly: for 10,000 predictions, checking
 * each against the response schema and then stringifying took ~14 ms, a tenth of the request. The
 * handler builds the answer from typed values (ids it drew, the model's numbers and class labels),
 * so the schema check has nothing to find; labels and keys still go through JSON.stringify, and a
 * test compares this with JSON.stringify on answers with every kind of value.
 */
export function serializePredictAnswer(answer: PredictAnswer): string {
  // Class labels repeat on every row: each is escaped once.
  const escaped = new Map<string, string>();
  const text = (s: string): string => {
    let e = escaped.get(s);
    if (e === undefined) {
      e = JSON.stringify(s);
      escaped.set(s, e);
    }
    return e;
  };
  const parts = new Array<string>(answer.predictions.length);
  for (let i = 0; i < parts.length; i++) {
    const p = answer.predictions[i]!;
    const prediction = typeof p.prediction === 'string' ? text(p.prediction) : jsonNumber(p.prediction);
    let probabilities = '';
    if (p.probabilities !== undefined) {
      const entries: string[] = [];
      for (const key in p.probabilities) entries.push(`${text(key)}:${jsonNumber(p.probabilities[key]!)}`);
      probabilities = `,"probabilities":{${entries.join(',')}}`;
    }
    parts[i] = `{"predictionId":${JSON.stringify(p.predictionId)},"prediction":${prediction}${probabilities}}`;
  }
  return `{"modelId":${JSON.stringify(answer.modelId)},"version":${jsonNumber(answer.version)},"predictions":[${parts.join(',')}],"latencyMs":${jsonNumber(answer.latencyMs)}}`;
}

/** The route's serializer compiler: its 200 answer by serializePredictAnswer, every other status by its zod schema. */
export const predictSerializerCompiler: FastifySerializerCompiler<unknown> = (route) =>
  String(route.httpStatus) === '200' ? (data: unknown) => serializePredictAnswer(data as PredictAnswer) : serializerCompiler(route as Parameters<typeof serializerCompiler>[0]);
