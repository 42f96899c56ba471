import type { Knex } from '../platform/database.js';
import type { StoredEvent } from '../events/envelope.js';

/** Logical table name → physical name; physical names differ while a rebuild writes shadow tables. */
export type TableNames<T extends string> = Record<T, string>;

/**
 * A read model: the tables it owns and how events change them. `apply` receives, in position
 * order, only the events whose type it handles, already upcast and with personal fields
 * decrypted (or redacted), inside the transaction that also moves its checkpoint.
 */
export type Projection<T extends string = string> = {
  name: string;
  /** Bump to have the runner rebuild the read model from the ledger. */
  version: number;
  handles: readonly string[] | 'all';
  /** false for a read model that never reads an event's data: its events are not revealed (no key lookup per batch). */
  readsPersonalData?: false;
  tables: Record<T, (table: Knex.CreateTableBuilder) => void>;
  apply(trx: Knex.Transaction, events: StoredEvent[], tables: TableNames<T>): Promise<void>;
};

export const defineProjection = <T extends string>(projection: Projection<T>): Projection<T> => projection;

export const handlesEvent = (projection: Projection, type: string) => projection.handles === 'all' || projection.handles.includes(type);
