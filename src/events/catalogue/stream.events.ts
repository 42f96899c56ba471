import { z } from 'zod';
import { defineEvent } from '../event-catalogue.js';

/**
 * Data streams: records arriving from a NATS JetStream subject, a signed HTTP webhook or a Kafka
 * topic, monitored in windows against a reference dataset version. Records never enter the
 * ledger: events carry the configuration and each window's statistics. The webhook signing
 * secret is derived from the master key and the stream id (HKDF), so nothing secret is stored.
 */

const streamId = z.uuid();
const name = z.string().min(1).max(200);

export const natsSubject = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[^\s.*>]+(\.[^\s.*>]+)*$/, 'must be a NATS subject of literal tokens (no wildcards, no spaces)');
export const kafkaTopic = z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'must be a Kafka topic name');
export const kafkaBroker = z.string().regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'must be host:port');

export const streamSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('nats'), subject: natsSubject }),
  z.strictObject({ kind: z.literal('webhook') }),
  z.strictObject({ kind: z.literal('kafka'), brokers: z.array(kafkaBroker).min(1).max(20), topic: kafkaTopic }),
]);

/** The reference dataset version, with the file it names (so a monitor needs no read model). */
export const streamReferenceSchema = z.object({
  datasetId: z.uuid(),
  version: z.number().int().positive(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  format: z.enum(['csv', 'tsv', 'json', 'ndjson', 'parquet']),
});

export const monitoredColumnSchema = z.object({ name: z.string().min(1).max(300), kind: z.enum(['numeric', 'categorical']) });

/** A window closes after `records` records or `seconds` seconds, whichever comes first (at least one is set). */
export const streamWindowSchema = z.object({ records: z.number().int().min(10).max(1_000_000).nullable(), seconds: z.number().int().min(1).max(86_400).nullable() });

export const streamDriftOptionsSchema = z.object({
  driftShare: z.number().gt(0).max(1),
  tests: z.record(z.string(), z.enum(['ks', 'wasserstein', 'chisquare', 'z', 'jensenshannon', 'psi'])),
  thresholds: z.record(z.string(), z.number().positive()),
});

const settings = {
  name,
  description: z.string().max(5000),
  reference: streamReferenceSchema,
  columns: z.array(monitoredColumnSchema).min(1).max(1000),
  window: streamWindowSchema,
  drift: streamDriftOptionsSchema,
};

export const streamCreated = defineEvent({
  type: 'stream.created',
  schemaVersion: 1,
  schema: z.object({ streamId, ...settings, source: streamSourceSchema, ownerId: z.string() }),
  description: 'A data stream was defined by its owner: its source, reference dataset version, monitored columns, window and drift options.',
});

export const streamUpdated = defineEvent({
  type: 'stream.updated',
  schemaVersion: 1,
  schema: z.object({ streamId, ...settings }),
  description: 'The settings of a data stream changed (the source does not change); a running monitor restarts with them.',
});

export const streamDeleted = defineEvent({
  type: 'stream.deleted',
  schemaVersion: 1,
  schema: z.object({ streamId, reason: z.string().max(500) }),
  description: 'A data stream was withdrawn; its windows stay in the ledger.',
});

export const streamStarted = defineEvent({
  type: 'stream.started',
  schemaVersion: 1,
  schema: z.object({ streamId }),
  description: 'Monitoring of a data stream started (and resumes after a restart until it is stopped).',
});

export const streamStopped = defineEvent({
  type: 'stream.stopped',
  schemaVersion: 1,
  schema: z.object({ streamId, reason: z.string().max(1000) }),
  description: 'Monitoring of a data stream stopped: by its owner, or because its source failed to start.',
});

const columnQuality = z.object({ column: z.string(), missing: z.number().int().nonnegative(), missingRate: z.number().min(0).max(1), typeErrors: z.number().int().nonnegative() });

export const streamWindowEvaluated = defineEvent({
  type: 'stream.window-evaluated',
  schemaVersion: 1,
  schema: z.object({
    streamId,
    windowId: z.uuid(),
    /** 1-based, per stream. */
    sequence: z.number().int().positive(),
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    /** Records in the window (JSON objects), and deliveries that were not (unparseable, not objects). */
    records: z.number().int().nonnegative(),
    errors: z.number().int().nonnegative(),
    /** Why the window closed: its record count, its time, or the stream stopping. */
    closedBy: z.enum(['records', 'time', 'stop']),
    quality: z.object({ columns: z.array(columnQuality), missingRate: z.number().min(0).max(1), typeErrorRate: z.number().min(0).max(1) }),
    reference: z.object({ datasetId: z.uuid(), version: z.number().int().positive() }),
    /** The dataset drift result of the window against the reference (dataset-drift.ts), without PSI bins. */
    drift: z.record(z.string(), z.json()),
    datasetDrift: z.boolean(),
    driftShare: z.number().min(0).max(1),
    elapsedMs: z.number().nonnegative(),
    codeVersion: z.string(),
  }),
  description: 'A window of stream records was evaluated: counts, per-column missing and type errors, and drift against the reference dataset version.',
});

export const streamEvents = [streamCreated, streamUpdated, streamDeleted, streamStarted, streamStopped, streamWindowEvaluated];
