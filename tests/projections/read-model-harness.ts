import type { StoredEvent } from '../../src/events/envelope.js';
import type { Knex } from '../../src/platform/database.js';
import type { Projection, TableNames } from '../../src/projections/projection.js';

/**
 * For the read-model tests: events made by hand (only what a projection reads), and a
 * projection's tables created afresh and fed those events through its own `apply`, without a
 * runner. Each test calls these itself (never a `describe` body or a hook): code run outside a
 * test is invisible to Stryker's per-test coverage (TESTING.md).
 */
export type EventAt = { position: number; at: string; streamId?: string; streamVersion?: number; id?: string };

export const stored = (type: string, data: Record<string, unknown>, { position, at, streamId = 'test-1', streamVersion = 0, id }: EventAt): StoredEvent =>
  ({
    id: id ?? `00000000-0000-7000-8000-${String(position).padStart(12, '0')}`,
    type,
    schemaVersion: 1,
    streamId,
    streamVersion,
    position,
    occurredAt: new Date(at),
    actor: { kind: 'system', id: 'test' },
    correlationId: null,
    causationId: null,
    data,
    metadata: {},
    prevHash: '',
    hash: '',
  }) as unknown as StoredEvent;

/** A sequence of events at positions 1, 2, … one second apart from 2026-01-01T00:00:00Z (unless `at` is given). */
export function sequence(events: [type: string, data: Record<string, unknown>, at?: Partial<EventAt>][]): StoredEvent[] {
  return events.map(([type, data, at], i) => stored(type, data, { position: i + 1, at: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(), ...at }));
}

export const secondIso = (i: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString();

const tablesOf = (p: Projection) => Object.fromEntries(Object.keys(p.tables).map((t) => [t, t])) as TableNames<string>;

/** Drops and creates the projection's tables (under their own names) in the test's schema. */
export async function freshTables(knex: Knex, projection: Projection): Promise<void> {
  for (const [table, build] of Object.entries(projection.tables)) {
    await knex.schema.dropTableIfExists(table);
    await knex.schema.createTable(table, build);
  }
}

/** Applies the events in one transaction, as the runner does with a page. */
export async function applyAll(knex: Knex, projection: Projection, events: StoredEvent[]): Promise<void> {
  await knex.transaction((trx) => projection.apply(trx, events, tablesOf(projection)));
}

/** Fresh tables, then the events applied one transaction per event (as a live runner would). */
export async function project(knex: Knex, projection: Projection, events: StoredEvent[], { perEvent = false } = {}): Promise<void> {
  await freshTables(knex, projection);
  if (perEvent) for (const e of events) await applyAll(knex, projection, [e]);
  else await applyAll(knex, projection, events);
}
