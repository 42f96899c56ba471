import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { dialects, openTestDatabase } from '../support/test-database.js';
import { describeEventStoreContract } from './event-store-contract.js';

for (const dialect of dialects) {
  describeEventStoreContract(dialect, async () => {
    const db = await openTestDatabase(dialect);
    const store = new PostgresEventStore(db, { pollIntervalMs: 200 });
    return {
      store,
      async cleanup() {
        await store.close();
        await db.drop();
      },
    };
  });
}
