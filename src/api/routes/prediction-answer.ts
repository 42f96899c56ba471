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
 * Writes the answer of `POST /models/:id/predict` as JSON text, and each prediction's log entry:
 * for 10,000 predictions, checking the answer's objects against the response schema cost more than
 * scoring them (~30 ms), and the log needs each entry's text anyway. The answer is `JSON.stringify`
 * of the schema's objects (V8's fastest path for 10,000 objects of one shape); a regression entry's
 * log text is concatenated (`JSON.stringify` prints a finite number as `String` does), a
 * classification entry's is stringified. A prediction that is not a finite number (a linear
 * model's output overflowing on huge inputs) cannot be written in JSON: the request is refused
 * (422, naming the instance) and nothing is logged. `rowsField`: where the instances were sent
 * (`body.instances` or `body.rows`), for that refusal.
 */
export function predictionAnswer(modelId: string, version: number, ids: string[], out: ScoringOutput, classes: readonly string[] | null, latencyMs: number, rowsField: string): PredictionAnswer {
  const n = ids.length;
  const predictionJsons = new Array<string>(n);
  const scores = new Array<number | null>(n);
  const entries = new Array<object>(n);
  const { predictions, probabilities } = out;
  const refuse = (i: number) => new HttpProblem(422, 'unscorable-instance', 'Instance cannot be scored', `${rowsField}.${i}: the model's output is not a finite number`, { errors: [{ field: `${rowsField}.${i}`, message: "the model's output is not a finite number" }] });
  if (!classes || !probabilities) {
    for (let i = 0; i < n; i++) {
      const prediction = predictions[i]!;
      if (!Number.isFinite(prediction)) throw refuse(i);
      entries[i] = { predictionId: ids[i]!, prediction };
      predictionJsons[i] = `{"prediction":${prediction}}`;
      scores[i] = prediction;
    }
  } else {
    const k = classes.length;
    for (let i = 0; i < n; i++) {
      const byClass: Record<string, number> = {};
      for (let j = 0; j < k; j++) {
        const p = probabilities[i * k + j]!;
        if (!Number.isFinite(p)) throw refuse(i);
        byClass[classes[j]!] = p;
      }
      const prediction = classes[predictions[i]!]!;
      entries[i] = { predictionId: ids[i]!, prediction, probabilities: byClass };
      predictionJsons[i] = JSON.stringify({ prediction, probabilities: byClass });
      scores[i] = k === 2 ? probabilities[i * 2 + 1]! : null;
    }
  }
  const text = JSON.stringify({ modelId, version, predictions: entries, latencyMs });
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
