import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROCESSOR_CHECKPOINTS_TABLE, loadCheckpoint, saveCheckpoint } from '../../src/processors/processor-checkpoints.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe.each(dialects)('processor checkpoints on %s', (dialect) => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
  });

  afterAll(async () => {
    await db.drop();
  });

  it('starts a processor that never ran at position 0', async () => {
    expect(await loadCheckpoint(db.knex, 'never-ran')).toBe(0);
  });

  it('saves, overwrites and moves a checkpoint back, one row per processor', async () => {
    await saveCheckpoint(db.knex, 'relay', 17);
    await saveCheckpoint(db.knex, 'other', 3);
    expect(await loadCheckpoint(db.knex, 'relay')).toBe(17);
    await saveCheckpoint(db.knex, 'relay', 2 ** 40);
    expect(await loadCheckpoint(db.knex, 'relay')).toBe(2 ** 40);
    await saveCheckpoint(db.knex, 'relay', 0);
    expect(await loadCheckpoint(db.knex, 'relay')).toBe(0);
    expect(await loadCheckpoint(db.knex, 'other')).toBe(3);
    const rows = await db.knex(PROCESSOR_CHECKPOINTS_TABLE).select('name', 'updated_at').orderBy('name');
    expect(rows.map((r) => r.name)).toEqual(['other', 'relay']);
    expect(rows.every((r) => r.updated_at !== null)).toBe(true);
  });

  it('commits saves asked for at once by several processors, each with its own position, the last one per name', async () => {
    await Promise.all([saveCheckpoint(db.knex, 'batch-a', 5), saveCheckpoint(db.knex, 'batch-b', 6), saveCheckpoint(db.knex, 'batch-a', 9), saveCheckpoint(db.knex, 'batch-c', 0)]);
    expect(await Promise.all(['batch-a', 'batch-b', 'batch-c'].map((n) => loadCheckpoint(db.knex, n)))).toEqual([9, 6, 0]);
  });

  it('a save inside a transaction is part of it: rolled back with it', async () => {
    await saveCheckpoint(db.knex, 'in-trx', 4);
    await expect(
      db.knex.transaction(async (trx) => {
        await saveCheckpoint(trx, 'in-trx', 40);
        expect(Number((await trx(PROCESSOR_CHECKPOINTS_TABLE).where('name', 'in-trx').first()).position)).toBe(40);
        throw new Error('roll back');
      }),
    ).rejects.toThrow('roll back');
    expect(await loadCheckpoint(db.knex, 'in-trx')).toBe(4);
  });

  it('refuses a position that is not a non-negative integer', async () => {
    await expect(saveCheckpoint(db.knex, 'relay', -1)).rejects.toThrow(/non-negative/);
    await expect(saveCheckpoint(db.knex, 'relay', 1.5)).rejects.toThrow(/non-negative/);
  });
});
