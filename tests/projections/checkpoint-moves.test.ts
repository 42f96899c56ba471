import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkpointMoves } from '../../src/projections/checkpoint-moves.js';
import { PROJECTIONS_TABLE } from '../../src/projections/projection-state.js';
import { dialects, openTestDatabase, type TestDatabase } from '../support/test-database.js';

describe.each(dialects)('checkpoint moves of projections with nothing to apply, on %s', (dialect) => {
  let db: TestDatabase;
  let move: ReturnType<typeof checkpointMoves>;

  beforeAll(async () => {
    db = await openTestDatabase(dialect);
    move = checkpointMoves(db.knex);
    await db.knex(PROJECTIONS_TABLE).insert([
      { name: 'at-9', version: 1, position: 9 },
      { name: 'at-5', version: 1, position: 5 },
      { name: 'at-20', version: 1, position: 20 },
      { name: 'version-2', version: 2, position: 9 },
      { name: 'failed', version: 1, position: 9, status: 'failed', last_error: 'boom' },
    ]);
  });
  afterAll(async () => {
    await db.drop();
  });

  const positionOf = async (name: string) => {
    const row = await db.knex(PROJECTIONS_TABLE).where('name', name).first();
    return { position: Number(row.position), status: row.status as string, lastError: row.last_error as string | null };
  };

  it('moves, asked at once, each checkpoint that is contiguous with the events read, and only those', async () => {
    const outcomes = await Promise.all([
      move({ name: 'at-9', version: 1, first: 10, last: 12 }),
      // Events 7..8 were never applied to at-5: moving it to 12 would skip them.
      move({ name: 'at-5', version: 1, first: 8, last: 12 }),
      // Another runner is past these events already.
      move({ name: 'at-20', version: 1, first: 10, last: 12 }),
      // A rebuild of another version owns the row.
      move({ name: 'version-2', version: 1, first: 10, last: 12 }),
      move({ name: 'failed', version: 1, first: 10, last: 12 }),
      move({ name: 'no-such-projection', version: 1, first: 10, last: 12 }),
    ]);
    expect(outcomes).toEqual([
      { moved: true, position: 12, resync: false },
      { moved: false, position: 5, resync: true },
      { moved: false, position: 20, resync: false },
      { moved: false, position: 9, resync: true },
      { moved: true, position: 12, resync: false },
      { moved: false, position: 0, resync: true },
    ]);
    expect(await positionOf('at-9')).toEqual({ position: 12, status: 'running', lastError: null });
    expect((await positionOf('at-5')).position).toBe(5);
    expect((await positionOf('at-20')).position).toBe(20);
    expect((await positionOf('version-2')).position).toBe(9);
    expect(await positionOf('failed')).toEqual({ position: 12, status: 'running', lastError: null });
  });

  it('moves a checkpoint that is inside the events read (a re-read overlapping what it applied) to their end', async () => {
    expect(await move({ name: 'at-9', version: 1, first: 11, last: 15 })).toEqual({ moved: true, position: 15, resync: false });
    expect((await positionOf('at-9')).position).toBe(15);
  });
});
