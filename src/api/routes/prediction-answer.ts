import type { ScoringOutput } from '../../analytics/scoring/scoring-model.js';
import type { LoggedPredictionBatch, PredictionLog } from '../../platform/prediction-log.js';
import { timeOrderedUuidBatch } from '../../platform/time-ordered-uuid-batch.js';
import { HttpProblem } from '../problem-details.js';

/** A scored batch as its answer's JSON text and, per prediction, what its log row holds. */
export type PredictionAnswer = {
  /** `{ modelId, version, predictions: [{ predictionId, prediction, probabilities? }], latencyMs }` */
  text: string;
  /** Per prediction, `{ prediction, probabilities? }` as JSON text: the log's copy of the answer's entry. */
  predictionJsons: string[];
  /** Positive-class probability (binary) or the value (regression): what performance metrics use. */
  scores: (number | null)[];
};

/**
 * Writes the answer of `POST /models/:id/predict` as JSON text, and each prediction's log entry
 * from the same text: for 10,000 predictions, building the objects, checking them against the
 * response schema and serializing them (twice: the answer and the log) cost more than scoring them.
 * The text is what `JSON.stringify` makes of the schema's objects (numbers print the same way). A
 * prediction that is not a finite number (a linear model's output overflowing on huge inputs)
 * cannot be written in JSON: the request is refused (422, naming the instance) and nothing is logged.
 * `rowsField`: where the instances were sent (`body.instances` or `body.rows`), for that refusal.
 */
export function predictionAnswer(modelId: string, version: number, ids: string[], out: ScoringOutput, classes: readonly string[] | null, latencyMs: number, rowsField: string): PredictionAnswer {
  const n = ids.length;
  const predictionJsons = new Array<string>(n);
  const scores = new Array<number | null>(n);
  const entries = new Array<string>(n);
  const { predictions, probabilities } = out;
  const finite = (v: number, i: number) => {
    if (!Number.isFinite(v)) throw new HttpProblem(422, 'unscorable-instance', 'Instance cannot be scored', `${rowsField}.${i}: the model's output is not a finite number`, { errors: [{ field: `${rowsField}.${i}`, message: "the model's output is not a finite number" }] });
    return v;
  };
  if (!classes || !probabilities) {
    for (let i = 0; i < n; i++) {
      const value = finite(predictions[i]!, i);
      const entry = `"prediction":${value}`;
      predictionJsons[i] = `{${entry}}`;
      entries[i] = `{"predictionId":"${ids[i]!}",${entry}}`;
      scores[i] = value;
    }
  } else {
    const k = classes.length;
    const names = classes.map((c) => JSON.stringify(c));
    // Object.fromEntries orders integer-like keys first: the probabilities keep the order JSON.stringify gave them.
    const order = Object.keys(Object.fromEntries(classes.map((c, j) => [c, j]))).map((c) => classes.indexOf(c));
    for (let i = 0; i < n; i++) {
      let entry = `"prediction":${names[predictions[i]!]!},"probabilities":{`;
      for (let o = 0; o < k; o++) {
        const j = order[o]!;
        entry += `${o === 0 ? '' : ','}${names[j]!}:${finite(probabilities[i * k + j]!, i)}`;
      }
      entry += '}';
      predictionJsons[i] = `{${entry}}`;
      entries[i] = `{"predictionId":"${ids[i]!}",${entry}}`;
      scores[i] = k === 2 ? probabilities[i * 2 + 1]! : null;
    }
  }
  const text = `{"modelId":${JSON.stringify(modelId)},"version":${version},"predictions":[${entries.join(',')}],"latencyMs":${latencyMs}}`;
  return { text, predictionJsons, scores };
}

/** A scored batch: what `answerAndLog` needs besides the scores. */
export type ScoredBatch = {
  modelId: string;
  version: number;
  subjectId: string | null;
  classes: readonly string[] | null;
  /** The scoring time of the whole batch. */
  latencyMs: number;
  rowsField: string;
  /** The inputs to log, or how to seal them: sealing stores a key for the subject, so it runs only once the answer is known to be writable. */
  inputs: LoggedPredictionBatch['inputs'] | (() => Promise<LoggedPredictionBatch['inputs']>);
};

/**
 * Names the batch's predictions, writes their answer and starts logging them; answers the text
 * and the log write to await before sending it. Synchronous up to the write, so that while the
 * COPY runs only the answer's one string is alive, not the 10,000 ids and texts it was made of
 * (which young-generation collections would otherwise copy, again and again, until it commits).
 */
export function answerAndLog(log: PredictionLog, batch: ScoredBatch, out: ScoringOutput, n: number): { text: string; logged: Promise<void> } {
  const createdAt = new Date();
  const ids = timeOrderedUuidBatch(n, createdAt);
  const answer = predictionAnswer(batch.modelId, batch.version, ids.text, out, batch.classes, batch.latencyMs, batch.rowsField);
  const record = (inputs: LoggedPredictionBatch['inputs']) =>
    log.record({
      modelId: batch.modelId,
      version: batch.version,
      subjectId: batch.subjectId,
      createdAt,
      latencyMs: batch.latencyMs / n,
      inputs,
      predictionIds: ids.bytes,
      predictionJsons: answer.predictionJsons,
      scores: answer.scores,
    });
  const logged = typeof batch.inputs === 'function' ? batch.inputs().then(record) : record(batch.inputs);
  return { text: answer.text, logged };
}
