import type { Knex } from '../platform/database.js';
import type { Migration } from '../platform/migrations.js';
import { macrotaskBatch } from '../platform/macrotask-batch.js';

export const PROCESSOR_CHECKPOINTS_TABLE = 'raia_processor_checkpoints';

/** Where each processor (the NATS relay, process managers) has got to in `$all`. */
export const processorCheckpointMigrations: Migration[] = [
  {
    name: '0004_processor_checkpoints',
    async up(knex) {
      await knex.raw(`
        CREATE TABLE IF NOT EXISTS ${PROCESSOR_CHECKPOINTS_TABLE} (
          name       text        PRIMARY KEY,
          position   bigint      NOT NULL,
          updated_at timestamptz NOT NULL DEFAULT now()
        )`);
    },
    async down(knex) {
      await knex.raw(`DROP TABLE IF EXISTS ${PROCESSOR_CHECKPOINTS_TABLE}`);
    },
  },
];

/** The last position the processor finished; 0 when it never ran. */
export async function loadCheckpoint(knex: Knex, name: string): Promise<number> {
  const row = await knex(PROCESSOR_CHECKPOINTS_TABLE).select('position').where({ name }).first();
  return row ? Number(row.position) : 0;
}

async function upsertCheckpoints(knex: Knex, saves: { name: string; position: number }[]): Promise<void> {
  await knex.raw(
    `INSERT INTO ${PROCESSOR_CHECKPOINTS_TABLE} (name, position, updated_at) VALUES ${saves.map(() => '(?, ?, now())').join(', ')}
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    saves.flatMap((s) => [s.name, s.position]),
  );
}

/** Saves waiting for the end of this macrotask, one batch per database handle (see `saveCheckpoint`). */
const batchedSaves = new WeakMap<Knex, (save: { name: string; position: number }) => Promise<void>>();

function batchedSaveFor(knex: Knex): (save: { name: string; position: number }) => Promise<void> {
  let save = batchedSaves.get(knex);
  if (!save) {
    save = macrotaskBatch(async (saves: { name: string; position: number }[]) => {
      // A name saved twice keeps its last position (one statement cannot update a row twice).
      const latest = new Map<string, number>();
      for (const s of saves) latest.set(s.name, s.position);
      await upsertCheckpoints(knex, [...latest].map(([name, position]) => ({ name, position })));
      return saves.map(() => undefined);
    });
    batchedSaves.set(knex, save);
  }
  return save;
}

/**
 * Records the processor's position; it may move backwards, which is how a processor is replayed.
 * Resolves once it is committed. Saves asked for in one macrotask (the processors one append woke)
 * share one statement and one commit; inside a transaction the save is part of it, at once.
 */
export async function saveCheckpoint(knex: Knex, name: string, position: number): Promise<void> {
  if (!Number.isSafeInteger(position) || position < 0) throw new Error(`checkpoint position must be a non-negative integer, got ${position}`);
  if ((knex as { isTransaction?: boolean }).isTransaction) return upsertCheckpoints(knex, [{ name, position }]);
  return batchedSaveFor(knex)({ name, position });
}

/** Every processor's checkpoint, for lag metrics. */
export async function listCheckpoints(knex: Knex): Promise<{ name: string; position: number }[]> {
  const rows = await knex(PROCESSOR_CHECKPOINTS_TABLE).select('name', 'position').orderBy('name');
  return rows.map((r: { name: string; position: string | number }) => ({ name: r.name, position: Number(r.position) }));
}
