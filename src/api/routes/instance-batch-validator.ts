import type { FastifySchemaCompiler } from 'fastify';
import { validatorCompiler } from 'fastify-type-provider-zod';
import { ScannedInstanceBatch } from './instance-batch-scanner.js';

/** What an instance batch body holds beyond `instances`: a key that is not one of these goes to zod. */
export type OtherFields = Record<string, (value: unknown) => { value: unknown } | null>;

const MAX_KEY_LENGTH = 200;

/**
 * A validator for a body of up to `maxInstances` instances, sent either as flat objects
 * (`{ instances: [{ feature: number | boolean | null, … }], … }`) or as rows of values under their
 * column names (`{ columns: [name, …], rows: [[value, …], …], … }`, every row as long as `columns`),
 * that accepts the well-formed case by a direct check and hands anything else to the route's zod
 * schema, which then answers as it always does (the same 400 and fields). Zod walks a
 * 10,000-instance batch of 30 features in ~90 ms, more than scoring it; this check takes a few. It
 * accepts only what the schema accepts, with the same value: a test compares the two on generated
 * bodies.
 *
 * `others`: the body's other keys, each with a check answering the value the schema would (after
 * its transforms) or null to leave the body to zod.
 */
export function instanceBatchValidatorCompiler(maxInstances: number, others: OtherFields): FastifySchemaCompiler<unknown> {
  return (route) => {
    const bySchema = validatorCompiler(route as Parameters<typeof validatorCompiler>[0]);
    if (route.httpPart !== 'body') return bySchema;
    // A batch the route's parser read from the bytes (instance-batch-scanner.ts) was checked as it was read.
    return (data: unknown) => (data instanceof ScannedInstanceBatch ? { value: data } : (acceptedBatch(data, maxInstances, others) ?? bySchema(data)));
  };
}

function acceptedBatch(data: unknown, maxInstances: number, others: OtherFields): { value: unknown } | null {
  if (!isPlainObject(data)) return null;
  const value: Record<string, unknown> = {};
  for (const key in data) {
    if (!Object.hasOwn(data, key)) continue;
    if (key === 'instances' || key === 'columns' || key === 'rows') {
      value[key] = data[key];
      continue;
    }
    const check = Object.hasOwn(others, key) ? others[key]! : null;
    const accepted = check ? check(data[key]) : null;
    if (!accepted) return null;
    value[key] = accepted.value;
  }
  const { instances, columns, rows } = value;
  if (instances !== undefined) return columns === undefined && rows === undefined && flatInstances(instances, maxInstances) ? { value } : null;
  return columnNames(columns, maxInstances) && valueRows(rows, columns.length, maxInstances) ? { value } : null;
}

function columnNames(columns: unknown, maxColumns: number): columns is string[] {
  if (!Array.isArray(columns) || columns.length === 0 || columns.length > maxColumns) return false;
  for (const name of columns) if (typeof name !== 'string' || name.length > MAX_KEY_LENGTH) return false;
  return true;
}

function valueRows(rows: unknown, width: number, maxRows: number): boolean {
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > maxRows) return false;
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (!Array.isArray(row) || row.length !== width) return false;
    for (let j = 0; j < width; j++) if (!isFeatureValue(row[j])) return false;
  }
  return true;
}

// JSON numbers are finite; zod's z.number() refuses NaN and infinities besides.
const isFeatureValue = (v: unknown) => v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function flatInstances(instances: unknown, maxInstances: number): boolean {
  if (!Array.isArray(instances) || instances.length === 0 || instances.length > maxInstances) return false;
  for (let i = 0; i < instances.length; i++) {
    const instance: unknown = instances[i];
    if (!isPlainObject(instance)) return false;
    for (const key in instance) if (key.length > MAX_KEY_LENGTH || !isFeatureValue(instance[key])) return false;
  }
  return true;
}

/** A JSON object as JSON.parse makes it (not an array, not a class instance). */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
