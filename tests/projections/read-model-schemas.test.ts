import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModels } from '../../src/projections/read-models.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';
import { freshTables } from './read-model-harness.js';

describe('read model tables on postgres', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('postgres', { migrate: false });
  });
  afterAll(async () => db.drop());

  // A timestamp without time zone would store an event's instant as the server's wall-clock
  // time, and read it back shifted wherever the database or the process is not on UTC.
  it('store every instant with its time zone', async () => {
    const schema = (await db.knex.raw('SELECT current_schema() AS s')).rows[0].s as string;
    const found: string[] = [];
    for (const projection of readModels) {
      await freshTables(db.knex, projection);
      const rows = (await db.knex('information_schema.columns').select('table_name', 'column_name', 'data_type').where('table_schema', schema).whereIn('table_name', Object.keys(projection.tables)).where('data_type', 'like', 'timestamp%')) as { table_name: string; column_name: string; data_type: string }[];
      found.push(...rows.map((r) => `${r.table_name}.${r.column_name}: ${r.data_type}`));
    }
    expect(found).toHaveLength(36);
    expect(found.filter((c) => !c.endsWith('timestamp with time zone'))).toEqual([]);
  });
});
