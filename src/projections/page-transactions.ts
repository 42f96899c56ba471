import type { StoredEvent } from '../events/envelope.js';
import type { Knex } from '../platform/database.js';
import { inEventBatchSpan } from '../platform/event-tracing.js';
import { macrotaskBatch } from '../platform/macrotask-batch.js';
import type { Projection, TableNames } from './projection.js';
import { PROJECTIONS_TABLE } from './projection-state.js';

/**
 * A projection's share of a page it read: the page (`events`) and those of it the projection
 * handles, upcast, not yet revealed; `quiet`, events before the page it read and handles none of,
 * whose checkpoint move was put off (see `quietStart`).
 */
export type PageApply = { projection: Projection; events: StoredEvent[]; handled: StoredEvent[]; tables: TableNames<string>; quiet?: QuietRange };

/** Events `first..last` a projection read and handles none of, its checkpoint not yet moved past them. */
export type QuietRange = { first: number; last: number };

/**
 * Where a page applies from, given the checkpoint in the row: past the quiet range when the row is
 * within it (every event up to the row is applied, none after it up to `last` is handled), else
 * the row itself.
 */
export const quietStart = (checkpoint: number, quiet: QuietRange | undefined): number =>
  quiet && checkpoint >= quiet.first - 1 && checkpoint < quiet.last ? quiet.last : checkpoint;

/** Applied (the checkpoint is at `position`), or not because the row says the follower must re-read from it (`resync`, why). */
export type PageApplyOutcome = { position: number; resync: null } | { position: null; resync: string };

type Settled = { outcome: PageApplyOutcome } | { error: unknown };

/**
 * Applies the projections that handle events of the same page in one transaction: an append wakes
 * every projection at once, and those handling the new events (a chat turn: the stream catalogue
 * and the chat sessions) each used to open a transaction of their own, locking, moving and
 * committing their checkpoint apart (on PGlite, five statements each on the request's thread).
 * Here their personal fields are revealed with one key lookup, their rows locked by one statement
 * (in name order, so runners in other processes cannot deadlock with this one), each projection
 * applies what is past its own checkpoint, and the checkpoints move by one statement, with the
 * events. Each checkpoint stays exact: a projection whose row is of another version, or behind
 * its page, is left out and told to re-read (`resync`), the others go on. If a projection's
 * `apply` fails the transaction is rolled back and each projection of the page is applied again
 * alone (`applyAlone`), so the failure stays that projection's.
 */
export function pageTransactions(deps: {
  knex: Knex;
  /** Personal fields revealed (or redacted) for the events of projections that read them. */
  reveal: (events: StoredEvent[]) => Promise<StoredEvent[]>;
  /** The same for one projection, in a transaction of its own, with its events revealed. */
  applyAlone: (request: PageApply, prepared: StoredEvent[]) => Promise<PageApplyOutcome>;
}): (request: PageApply) => Promise<PageApplyOutcome> {
  const batch = macrotaskBatch<PageApply, Settled>(async (requests) => {
    const settled: (Settled | undefined)[] = requests.map(() => undefined);
    const prepared = await revealed(deps.reveal, requests);
    const ready: number[] = [];
    // A projection asking twice at once (a subscription being replaced while the last one's page
    // is in flight) has its second page applied after, alone: one statement cannot lock and move
    // the same row for both.
    const later: number[] = [];
    const names = new Set<string>();
    prepared.forEach((p, i) => {
      if (!Array.isArray(p)) settled[i] = { error: p.revealFailed };
      else if (names.has(requests[i]!.projection.name)) later.push(i);
      else {
        names.add(requests[i]!.projection.name);
        ready.push(i);
      }
    });
    const alone = (i: number): Promise<Settled> => deps.applyAlone(requests[i]!, prepared[i] as StoredEvent[]).then((outcome) => ({ outcome }), (error: unknown) => ({ error }));
    if (ready.length > 0) {
      try {
        const outcomes = await applyTogether(deps.knex, ready.map((i) => ({ ...requests[i]!, prepared: prepared[i] as StoredEvent[] })));
        ready.forEach((i, k) => (settled[i] = { outcome: outcomes[k]! }));
      } catch {
        // Rolled back: each again on its own, so that only the projection that fails fails.
        const each = await Promise.all(ready.map(alone));
        ready.forEach((i, k) => (settled[i] = each[k]!));
      }
    }
    for (const i of later) settled[i] = await alone(i);
    return settled as Settled[];
  });
  return async (request) => {
    const settled = await batch(request);
    if ('error' in settled) throw settled.error;
    return settled.outcome;
  };
}

/**
 * Each request's events, revealed for projections that read personal data (one lookup for all
 * of them; a projection after the first gets its own copy of an event another also handles), or
 * why the reveal failed (projections that read no personal data go on without it).
 */
async function revealed(reveal: (events: StoredEvent[]) => Promise<StoredEvent[]>, requests: PageApply[]): Promise<(StoredEvent[] | { revealFailed: unknown })[]> {
  const reading = requests.filter((r) => r.projection.readsPersonalData !== false);
  const union = new Map<number, StoredEvent>();
  for (const r of reading) for (const e of r.handled) if (!union.has(e.position)) union.set(e.position, e);
  let open: Map<number, StoredEvent>;
  try {
    open = new Map((union.size > 0 ? await reveal([...union.values()]) : []).map((e) => [e.position, e]));
  } catch (error) {
    return requests.map((r) => (r.projection.readsPersonalData === false ? r.handled : { revealFailed: error }));
  }
  const handedOut = new Set<number>();
  return requests.map((r) => {
    if (r.projection.readsPersonalData === false) return r.handled;
    return r.handled.map((e) => {
      const event = open.get(e.position)!;
      if (!handedOut.has(e.position)) {
        handedOut.add(e.position);
        return event;
      }
      return structuredClone(event);
    });
  });
}

/**
 * One transaction: a statement that locks the rows (in name order), moves each checkpoint that is
 * where the page follows on from (its version unchanged, no event before the page unapplied, not
 * already past it) and returns every row as it was; then each moved projection applies its events
 * past its old checkpoint. A row not moved is left as it is: past the page (nothing to do), or
 * told to re-read.
 */
async function applyTogether(knex: Knex, requests: (PageApply & { prepared: StoredEvent[] })[]): Promise<PageApplyOutcome[]> {
  // A quiet range counts only where the page follows on from it.
  const quietBefore = ({ events, quiet }: PageApply) => (quiet && quiet.last + 1 === events[0]!.position ? quiet : undefined);
  const moves = requests.map((r) => ({
    name: r.projection.name,
    version: r.projection.version,
    from: (quietBefore(r)?.first ?? r.events[0]!.position) - 1,
    last: r.events[r.events.length - 1]!.position,
  }));
  return knex.transaction(async (trx) => {
    const result = await trx.raw(
      `WITH m AS (SELECT * FROM jsonb_to_recordset(?::jsonb) AS m(name text, version integer, "from" bigint, last bigint)),
       old AS (SELECT p.name, p.version, p.position FROM ${PROJECTIONS_TABLE} p JOIN m ON m.name = p.name ORDER BY p.name FOR UPDATE OF p),
       moved AS (
         UPDATE ${PROJECTIONS_TABLE} AS p SET position = m.last, status = 'running', last_error = NULL, updated_at = now()
           FROM m JOIN old ON old.name = m.name
          WHERE p.name = m.name AND old.version = m.version AND old.position >= m."from" AND old.position < m.last
         RETURNING p.name)
       SELECT old.name, old.version, old.position, (moved.name IS NOT NULL) AS moved FROM old LEFT JOIN moved ON moved.name = old.name`,
      [JSON.stringify(moves)],
    );
    const rows = (result as { rows: { name: string; version: number; position: number | string; moved: boolean }[] }).rows;
    const byName = new Map(rows.map((r) => [r.name, r]));
    const outcomes: PageApplyOutcome[] = [];
    for (const [i, request] of requests.entries()) {
      const { projection: p, prepared, tables } = request;
      const row = byName.get(p.name);
      const move = moves[i]!;
      if (!row || row.version !== p.version) {
        outcomes.push({ position: null, resync: 'projection version changed; a rebuild owns it' });
        continue;
      }
      const position = Number(row.position);
      if (!row.moved) {
        outcomes.push(position >= move.last ? { position, resync: null } : { position: null, resync: 'events were missed; re-reading from the checkpoint' });
        continue;
      }
      const checkpoint = quietStart(position, quietBefore(request));
      const handled = prepared.filter((e) => e.position > checkpoint);
      if (handled.length > 0) await inEventBatchSpan(`projection ${p.name}`, handled, () => p.apply(trx, handled, tables));
      outcomes.push({ position: move.last, resync: null });
    }
    return outcomes;
  });
}
