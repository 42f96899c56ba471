import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { ledgerPointAt, LedgerPointOutOfRange, type LedgerPoint } from '../projections/as-of/ledger-point.js';
import { queryReadModelAt, rowsAt, type AsOfDeps, type AsOfScope } from '../projections/as-of/read-model-as-of.js';
import type { Row, RowProjection } from '../projections/row-projection.js';
import type { Knex } from '../platform/database.js';
import type { Runtime } from '../runtime.js';
import { invalidFields } from './problem-details.js';

/**
 * The query parameters of a read that can answer as the ledger stood at an earlier point
 * (docs/ledger.md, "State as of any date"). Spread into a route's querystring schema.
 */
export const asOfQuery = {
  asOf: z.iso
    .datetime({ offset: true })
    .transform((s) => new Date(s))
    .optional()
    .describe('Answer as the ledger stood at this instant (ISO 8601 with Z or an offset), rebuilt from the ledger; not in the future. The answer states the position it reflects in X-Ledger-Position and the instant in X-As-Of'),
  atPosition: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe('Answer as the ledger stood right after this position (not with asOf)'),
};

/**
 * The ledger point a read asks for, stated on its answer (X-Ledger-Position, X-As-Of), or null for
 * a read of the present; 400 naming the field for a point the ledger cannot answer. An answer as
 * of a point carries no ETag: an earlier state is not a version to write against.
 */
export async function ledgerPointOf(runtime: Runtime, query: { asOf?: Date | undefined; atPosition?: number | undefined }, reply: FastifyReply): Promise<LedgerPoint | null> {
  const { asOf, atPosition } = query;
  if (asOf !== undefined && atPosition !== undefined) throw invalidFields([{ field: 'querystring.atPosition', message: 'give asOf or atPosition, not both' }]);
  if (asOf === undefined && atPosition === undefined) return null;
  let point: LedgerPoint;
  try {
    point = await ledgerPointAt(runtime.store, asOf !== undefined ? { asOf } : { atPosition: atPosition! }, new Date());
  } catch (error) {
    if (error instanceof LedgerPointOutOfRange) throw invalidFields([{ field: `querystring.${error.field}`, message: error.message }]);
    throw error;
  }
  void reply.header('x-ledger-position', String(point.position)).header('x-as-of', point.occurredAt.toISOString());
  return point;
}

const asOfDeps = (runtime: Runtime): AsOfDeps => ({ knex: runtime.db.knex, store: runtime.store, catalogue: runtime.catalogue, vault: runtime.vault });

/** A read model query answered as of `point` (see queryReadModelAt): for filtered, paged lists. */
export const readModelAt = <T extends string, R>(runtime: Runtime, projection: RowProjection<T>, scope: AsOfScope, point: LedgerPoint, query: (db: Knex) => Promise<R>): Promise<R> =>
  queryReadModelAt(asOfDeps(runtime), projection, scope, point, query);

/** A read model's rows as of `point`, in memory (see rowsAt): for one aggregate. */
export const readModelRowsAt = <T extends string>(runtime: Runtime, projection: RowProjection<T>, scope: AsOfScope, point: LedgerPoint): Promise<Record<T, Row[]>> => rowsAt(asOfDeps(runtime), projection, scope, point);
