import type { Knex } from '../platform/database.js';
import { macrotaskBatch } from '../platform/macrotask-batch.js';
import { PROJECTIONS_TABLE } from './projection-state.js';

/** A projection read events `first..last` and handles none of them: only its checkpoint moves. */
export type CheckpointMove = { name: string; version: number; first: number; last: number };

/**
 * Moved; or not, with the checkpoint found: at or past `last` (another runner got there first,
 * nothing to do), or `resync` when the row says the follower must re-read from it (events before
 * `first` are not applied, or another version of the projection owns the row).
 */
export type CheckpointMoveOutcome = { moved: boolean; position: number; resync: boolean };

/**
 * Moves the checkpoints of projections that had nothing to apply, all those asked for in one
 * macrotask by one statement. An append of one event wakes every projection, and most handle
 * none of it: each used to spend a transaction of four statements (and a commit) to move its
 * checkpoint. The statement keeps the guarantees of that transaction: a row moves only while
 * its version is the one read and no event between its checkpoint and `first` would be skipped
 * (the condition is re-checked on the latest row when another runner holds it).
 */
export function checkpointMoves(knex: Knex): (move: CheckpointMove) => Promise<CheckpointMoveOutcome> {
  return macrotaskBatch(async (moves: CheckpointMove[]) => {
    const result = await knex.raw(
      `WITH m AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS m(name text, version integer, first bigint, last bigint)),
       moved AS (
         UPDATE ${PROJECTIONS_TABLE} AS p SET position = m.last, status = 'running', last_error = NULL, updated_at = now()
           FROM m
          WHERE p.name = m.name AND p.version = m.version AND p.position >= m.first - 1 AND p.position < m.last
         RETURNING p.name)
       SELECT m.name, (moved.name IS NOT NULL) AS moved, p.version, p.position
         FROM m LEFT JOIN moved ON moved.name = m.name LEFT JOIN ${PROJECTIONS_TABLE} p ON p.name = m.name`,
      [JSON.stringify(moves)],
    );
    const rows = (result as { rows: { name: string; moved: boolean; version: number | null; position: number | string | null }[] }).rows;
    const byName = new Map(rows.map((r) => [r.name, r]));
    return moves.map((move): CheckpointMoveOutcome => {
      const row = byName.get(move.name);
      if (row?.moved) return { moved: true, position: move.last, resync: false };
      const position = row?.position === null || row?.position === undefined ? 0 : Number(row.position);
      return { moved: false, position, resync: !row || row.version !== move.version || position < move.last };
    });
  });
}
