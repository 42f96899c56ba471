import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import type { Knex } from '../../platform/database.js';
import { eventsForProjection } from '../projection-runner.js';
import { foldRows, type Row, type RowProjection } from '../row-projection.js';
import { streamEventsAt, type LedgerPoint } from './ledger-point.js';

export type AsOfDeps = { knex: Knex; store: EventStore; catalogue: EventCatalogue; vault?: PersonalDataVault };

/** Whose events rebuild the read model: one aggregate's stream, or every stream the projection reads. */
export type AsOfScope = { streamId: string } | 'ledger';

const PAGE = 5000;
// Rows per INSERT: well under PostgreSQL's 65,535 bind parameters for tables of a few dozen columns.
const INSERT_CHUNK = 1000;

async function handledEventsAt(deps: AsOfDeps, projection: RowProjection, scope: AsOfScope, point: LedgerPoint): Promise<StoredEvent[]> {
  if (scope !== 'ledger') return streamEventsAt(deps.store, scope.streamId, point);
  const types = projection.handles === 'all' ? undefined : [...projection.handles];
  const events: StoredEvent[] = [];
  for (let after = 0; after < point.position; ) {
    const page = await deps.store.readAll({ after, to: point.position, limit: PAGE, ...(types ? { filter: { types } } : {}) });
    events.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.position;
  }
  return events;
}

/**
 * A projection's rows as they stood at `point`, in memory: its own row changes folded over the
 * events up to the point (of one stream, or the ledger), with personal fields revealed or redacted
 * exactly as for the live read model (eventsForProjection). Enough on its own to answer for one
 * aggregate (a few rows); see queryReadModelAt for filtered, paged lists.
 */
export async function rowsAt<T extends string>(deps: AsOfDeps, projection: RowProjection<T>, scope: AsOfScope, point: LedgerPoint): Promise<Record<T, Row[]>> {
  return foldRows(projection, await eventsForProjection(deps, projection, await handledEventsAt(deps, projection, scope, point)));
}

/**
 * Answers `query` from a projection's read model as it stood at `point`: its rows (rowsAt) are
 * written to temporary tables of the same names as its live tables, inside one
 * transaction. PostgreSQL searches a session's temporary schema before any other, so the read
 * model's own query functions, run on that transaction, read the rebuilt tables and not today's;
 * the tables go with the transaction (ON COMMIT DROP).
 */
export async function queryReadModelAt<T extends string, R>(deps: AsOfDeps, projection: RowProjection<T>, scope: AsOfScope, point: LedgerPoint, query: (db: Knex) => Promise<R>): Promise<R> {
  const tables = await rowsAt(deps, projection, scope, point);
  return deps.knex.transaction(async (trx) => {
    for (const table of Object.keys(projection.tables) as T[]) {
      await trx.raw('CREATE TEMPORARY TABLE ?? (LIKE ?? INCLUDING DEFAULTS) ON COMMIT DROP', [table, table]);
      const rows = tables[table];
      for (let i = 0; i < rows.length; i += INSERT_CHUNK) await trx(table).insert(rows.slice(i, i + INSERT_CHUNK));
    }
    return query(trx);
  });
}
