import type { Knex } from '../platform/database.js';
import type { Migration } from '../platform/migrations.js';

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

type PendingSave = { name: string; position: number; resolve(): void; reject(error: unknown): void };
/** Saves waiting for the end of this macrotask, per database handle (see `saveCheckpoint`). */
const pendingSaves = new WeakMap<Knex, PendingSave[]>();

async function upsertCheckpoints(knex: Knex, saves: { name: string; position: number }[]): Promise<void> {
  await knex.raw(
    `INSERT INTO ${PROCESSOR_CHECKPOINTS_TABLE} (name, position, updated_at) VALUES ${saves.map(() => '(?, ?, now())').join(', ')}
     ON CONFLICT (name) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
    saves.flatMap((s) => [s.name, s.position]),
  );
}

async function flushSaves(knex: Knex): Promise<void> {
  const batch = pendingSaves.get(knex) ?? [];
  pendingSaves.delete(knex);
  // A name saved twice keeps its last position (one statement cannot update a row twice).
  const latest = new Map<string, number>();
  for (const s of batch) latest.set(s.name, s.position);
  try {
    await upsertCheckpoints(knex, [...latest].map(([name, position]) => ({ name, position })));
    for (const s of batch) s.resolve();
  } catch (error) {
    for (const s of batch) s.reject(error);
  }
}

/**
 * Records the processor's position; it may move backwards, which is how a processor is replayed.
 * Resolves once it is committed. Saves asked for in one macrotask (the processors one append woke)
 * share one statement and one commit; inside a transaction the save is part of it, at once.
 */
export async function saveCheckpoint(knex: Knex, name: string, position: number): Promise<void> {
  if (!Number.isSafeInteger(position) || position < 0) throw new Error(`checkpoint position must be a non-negative integer, got ${position}`);
  if ((knex as { isTransaction?: boolean }).isTransaction) return upsertCheckpoints(knex, [{ name, position }]);
  return new Promise<void>((resolve, reject) => {
    let batch = pendingSaves.get(knex);
    if (!batch) {
      batch = [];
      pendingSaves.set(knex, batch);
      setImmediate(() => void flushSaves(knex));
    }
    batch.push({ name, position, resolve, reject });
  });
}

/** Every processor's checkpoint, for lag metrics. */
export async function listCheckpoints(knex: Knex): Promise<{ name: string; position: number }[]> {
  const rows = await knex(PROCESSOR_CHECKPOINTS_TABLE).select('name', 'position').orderBy('name');
  return rows.map((r: { name: string; position: string | number }) => ({ name: r.name, position: Number(r.position) }));
}
