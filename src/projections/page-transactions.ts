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
    prepared.forEach((p, i) => (Array.isArray(p) ? ready.push(i) : (settled[i] = { error: p.revealFailed })));
    const alone = (i: number): Promise<Settled> => deps.applyAlone(requests[i]!, prepared[i] as StoredEvent[]).then((outcome) => ({ outcome }), (error: unknown) => ({ error }));
    if (ready.length === 1) settled[ready[0]!] = await alone(ready[0]!);
    else if (ready.length > 1) {
      try {
        const outcomes = await applyTogether(deps.knex, ready.map((i) => ({ ...requests[i]!, prepared: prepared[i] as StoredEvent[] })));
        ready.forEach((i, k) => (settled[i] = { outcome: outcomes[k]! }));
      } catch {
        // Rolled back: each again on its own, so that only the projection that fails fails.
        const each = await Promise.all(ready.map(alone));
        ready.forEach((i, k) => (settled[i] = each[k]!));
      }
    }
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

async function applyTogether(knex: Knex, requests: (PageApply & { prepared: StoredEvent[] })[]): Promise<PageApplyOutcome[]> {
  return knex.transaction(async (trx) => {
    const rows: { name: string; version: number; position: number | string }[] = await trx(PROJECTIONS_TABLE)
      .select('name', 'version', 'position')
      .whereIn('name', requests.map((r) => r.projection.name))
      .orderBy('name')
      .forUpdate();
    const byName = new Map(rows.map((r) => [r.name, r]));
    const moves: { name: string; position: number }[] = [];
    const outcomes: PageApplyOutcome[] = [];
    for (const { projection: p, events, prepared, tables, quiet } of requests) {
      const row = byName.get(p.name);
      if (!row || row.version !== p.version) {
        outcomes.push({ position: null, resync: 'projection version changed; a rebuild owns it' });
        continue;
      }
      const checkpoint = quietStart(Number(row.position), quiet);
      const fresh = events.filter((e) => e.position > checkpoint);
      if (fresh.length === 0) {
        outcomes.push({ position: checkpoint, resync: null });
        continue;
      }
      if (fresh[0]!.position !== checkpoint + 1) {
        outcomes.push({ position: null, resync: 'events were missed; re-reading from the checkpoint' });
        continue;
      }
      const handled = prepared.filter((e) => e.position > checkpoint);
      if (handled.length > 0) await inEventBatchSpan(`projection ${p.name}`, handled, () => p.apply(trx, handled, tables));
      const last = fresh[fresh.length - 1]!.position;
      moves.push({ name: p.name, position: last });
      outcomes.push({ position: last, resync: null });
    }
    if (moves.length > 0)
      await trx.raw(
        `UPDATE ${PROJECTIONS_TABLE} AS p SET position = m.position, status = 'running', last_error = NULL, updated_at = now()
           FROM jsonb_to_recordset(?::jsonb) AS m(name text, position bigint) WHERE p.name = m.name`,
        [JSON.stringify(moves)],
      );
    return outcomes;
  });
}
