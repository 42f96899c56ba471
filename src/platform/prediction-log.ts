import { endianness } from 'node:os';
import { CopyBinaryWriter } from './copy-binary-format.js';
import type { Database, Knex } from './database.js';
import type { Migration } from './migrations.js';

const PREDICTIONS = 'model_predictions';
const OUTCOMES = 'model_outcomes';

export const predictionLogMigrations: Migration[] = [
  {
    name: '0009_prediction_log',
    async up(knex) {
      // Operational records beside the ledger: one row per scored instance would flood it. Inputs
      // of an identified subject are stored sealed under the subject's key (erasable).
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${PREDICTIONS} (
        prediction_id uuid PRIMARY KEY,
        model_id      uuid NOT NULL,
        version       integer NOT NULL,
        subject_id    text,
        inputs        jsonb NOT NULL,
        prediction    jsonb NOT NULL,
        score         double precision,
        latency_ms    double precision NOT NULL,
        created_at    timestamptz NOT NULL
      )`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS model_predictions_model_idx ON ${PREDICTIONS} (model_id, version, created_at)`);
      await knex.raw(`CREATE TABLE IF NOT EXISTS ${OUTCOMES} (
        prediction_id uuid PRIMARY KEY REFERENCES ${PREDICTIONS}(prediction_id) ON DELETE CASCADE,
        actual        jsonb NOT NULL,
        recorded_at   timestamptz NOT NULL
      )`);
    },
  },
  {
    name: '0013_prediction_input_values',
    async up(knex) {
      // Plain inputs as the float64 values the model scored (input schema order, NaN = missing),
      // 8 bytes a value: COPY writes them 2-3x faster than the same inputs as JSON objects.
      // `inputs` keeps sealed inputs (a subject's, erasable) and the rows logged before.
      await knex.raw(`ALTER TABLE ${PREDICTIONS} ADD COLUMN IF NOT EXISTS input_values bytea`);
      await knex.raw(`ALTER TABLE ${PREDICTIONS} ALTER COLUMN inputs DROP NOT NULL`);
      await knex.raw(`ALTER TABLE ${PREDICTIONS} ADD CONSTRAINT model_predictions_inputs_present CHECK (inputs IS NOT NULL OR input_values IS NOT NULL)`);
    },
  },
  {
    name: '0014_prediction_log_xid',
    async up(knex) {
      // The writing transaction's id: a reader following the log takes the rows of transactions
      // older than every one still running (pg_snapshot_xmin), which can no longer gain rows, and
      // so reads each row once (model-live-metrics.ts). Rows written before share the migration's id.
      await knex.raw(`ALTER TABLE ${PREDICTIONS} ADD COLUMN IF NOT EXISTS logged_xid xid8 NOT NULL DEFAULT pg_current_xact_id()`);
      await knex.raw(`CREATE INDEX IF NOT EXISTS model_predictions_logged_xid_idx ON ${PREDICTIONS} (logged_xid)`);
    },
  },
];

/** One scoring request's predictions, logged together: they share model, version, subject, time and latency. */
export type LoggedPredictionBatch = {
  modelId: string;
  version: number;
  subjectId: string | null;
  createdAt: Date;
  /** Per prediction: the request's scoring time over its instances. */
  latencyMs: number;
  /**
   * The inputs: the feature values scored (row-major, `width` a row, input schema order, NaN =
   * missing, booleans 0/1), or per instance a sealed field when the predictions are about an
   * identified subject (erasable with the subject's key).
   */
  inputs: { values: Float64Array; width: number } | { sealed: unknown[] };
  /** The prediction ids, 16 bytes each, in order. */
  predictionIds: Uint8Array;
  /**
   * Per prediction, the answer's prediction (and probabilities) as JSON text, `{ prediction,
   * probabilities? }`: what the performance and live readers read. Text, because the answer holds
   * the same text already.
   */
  predictionJsons: string[];
  /** Per prediction: the positive-class probability (binary) or the value (regression), else null: what performance metrics use. */
  scores: (number | null)[];
};

const COPY_PREDICTIONS = `COPY ${PREDICTIONS} (prediction_id, model_id, version, subject_id, inputs, input_values, prediction, score, latency_ms, created_at) FROM STDIN (FORMAT binary)`;
const COLUMNS = 10;

export type ScoredOutcome = { version: number; prediction: unknown; score: number | null; actual: unknown; createdAt: string };

/** The prediction log and the ground truth recorded against it. */
export class PredictionLog {
  private readonly knex: Knex;

  constructor(private readonly db: Database) {
    this.knex = db.knex;
  }

  /**
   * Writes a request's predictions durably (committed when this resolves) with one COPY in the
   * binary format: one round trip, no SQL to parse, no text to convert (the inputs go as their
   * float64 bytes, ids as 16 bytes).
   */
  record(batch: LoggedPredictionBatch): Promise<void> {
    // Not async: nothing keeps the batch alive while the COPY runs (its 10,000 strings would
    // survive young-generation collections, copied again by each).
    if (batch.predictionJsons.length === 0) return Promise.resolve();
    try {
      return this.insertRows(predictionRows(batch));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  private insertRows(rows: Buffer): Promise<void> {
    return this.db.withScriptConnection((_run, runCopy) => runCopy(COPY_PREDICTIONS, rows));
  }

  /** The plain inputs of logged predictions, by id (sealed ones are not here: they are read with the subject's key). */
  async inputValues(predictionIds: string[]): Promise<Map<string, Float64Array>> {
    const found = new Map<string, Float64Array>();
    for (let i = 0; i < predictionIds.length; i += 5000) {
      const rows = (await this.knex(PREDICTIONS).whereIn('prediction_id', predictionIds.slice(i, i + 5000)).whereNotNull('input_values').select('prediction_id', 'input_values')) as { prediction_id: string; input_values: Uint8Array }[];
      for (const r of rows) found.set(r.prediction_id, float64sOf(r.input_values));
    }
    return found;
  }

  /** Which of these ids are predictions of this model (outcomes may only be recorded for those). */
  async knownPredictions(modelId: string, predictionIds: string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < predictionIds.length; i += 5000) {
      const rows = (await this.knex(PREDICTIONS).where('model_id', modelId).whereIn('prediction_id', predictionIds.slice(i, i + 5000)).select('prediction_id')) as { prediction_id: string }[];
      for (const r of rows) found.add(r.prediction_id);
    }
    return found;
  }

  /** Records (or corrects) ground truth; returns how many outcomes were written. */
  async recordOutcomes(outcomes: { predictionId: string; actual: unknown }[], at: Date): Promise<number> {
    const rows = outcomes.map((o) => ({ prediction_id: o.predictionId, actual: JSON.stringify(o.actual), recorded_at: at.toISOString() }));
    for (let i = 0; i < rows.length; i += 5000) {
      await this.knex(OUTCOMES).insert(rows.slice(i, i + 5000)).onConflict('prediction_id').merge(['actual', 'recorded_at']);
    }
    return rows.length;
  }

  /** Predictions of a model that have an outcome, oldest first, optionally by version and time window. */
  async scoredOutcomes(modelId: string, filter: { version?: number; from?: Date; to?: Date; limit: number }): Promise<ScoredOutcome[]> {
    const q = this.knex(`${PREDICTIONS} as p`).join(`${OUTCOMES} as o`, 'o.prediction_id', 'p.prediction_id').where('p.model_id', modelId);
    if (filter.version !== undefined) q.where('p.version', filter.version);
    if (filter.from) q.where('p.created_at', '>=', filter.from.toISOString());
    if (filter.to) q.where('p.created_at', '<', filter.to.toISOString());
    const rows = (await q.orderBy('p.created_at').limit(filter.limit).select('p.version', 'p.prediction', 'p.score', 'o.actual', 'p.created_at')) as Record<string, unknown>[];
    // jsonb arrives parsed (pg and PGlite alike).
    return rows.map((r) => ({ version: r.version as number, prediction: r.prediction, score: r.score === null ? null : Number(r.score), actual: r.actual, createdAt: new Date(r.created_at as string).toISOString() }));
  }

  async count(modelId: string): Promise<number> {
    const [{ count }] = (await this.knex(PREDICTIONS).where('model_id', modelId).count({ count: '*' })) as [{ count: string | number }];
    return Number(count);
  }
}

/** The batch's rows in COPY's binary format. */
function predictionRows(batch: LoggedPredictionBatch): Buffer {
  const { modelId, version, subjectId, latencyMs, createdAt, predictionIds, predictionJsons, scores } = batch;
  const n = predictionJsons.length;
  if (predictionIds.byteLength !== 16 * n || scores.length !== n) throw new Error(`a batch of ${n} predictions with ${predictionIds.byteLength / 16} ids and ${scores.length} scores`);
  const values = 'values' in batch.inputs ? littleEndianBytes(batch.inputs.values) : null;
  const rowBytes = 'values' in batch.inputs ? batch.inputs.width * 8 : 0;
  const sealed = 'sealed' in batch.inputs ? batch.inputs.sealed : null;
  // Fields every row shares are encoded once.
  const shared = CopyBinaryWriter.field((w) => {
    w.uuid(modelId).int4(version);
    if (subjectId === null) w.null();
    else w.text(subjectId);
  });
  const tail = CopyBinaryWriter.field((w) => w.float8(latencyMs).timestamptz(createdAt));
  // A row: 103 bytes of fixed fields and lengths, the shared fields, the inputs, the prediction's
  // text (~20 bytes for a value, ~60 for two probabilities). Too small a guess copies the whole buffer once more.
  const copy = new CopyBinaryWriter(n * (103 + shared.byteLength + rowBytes + 64));
  for (let i = 0; i < n; i++) {
    copy.row(COLUMNS).uuidBytes(predictionIds, 16 * i);
    copy.encoded(shared);
    if (sealed) copy.jsonb(JSON.stringify(sealed[i])).null();
    else copy.null().bytea(values!, i * rowBytes, rowBytes);
    copy.jsonb(predictionJsons[i]!);
    const score = scores[i]!;
    if (score === null) copy.null();
    else copy.float8(score);
    copy.encoded(tail);
  }
  return copy.finish();
}

/** The values' bytes, little-endian whatever the machine (the stored form). */
function littleEndianBytes(values: Float64Array): Buffer {
  const bytes = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
  return endianness() === 'LE' ? bytes : Buffer.from(bytes).swap64();
}

function float64sOf(bytes: Uint8Array): Float64Array {
  const copy = Buffer.from(bytes);
  if (endianness() !== 'LE') copy.swap64();
  return new Float64Array(copy.buffer, copy.byteOffset, copy.byteLength / 8);
}
