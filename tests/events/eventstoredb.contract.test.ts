import { describe, it } from 'vitest';
import { EventStoreDbEventStore } from '../../src/events/eventstoredb/eventstoredb-event-store.js';
import { describeEventStoreContract } from './event-store-contract.js';

// The ledger cannot be emptied, so point this at a throwaway server: every run appends to it.
const eventStoreUrl = process.env.EVENTSTORE_URL;

if (!eventStoreUrl) {
  console.info('EVENTSTORE_URL not set: the EventStoreDB adapter contract suite needs a running EventStoreDB/KurrentDB (see docker-compose.yml)');
  describe.skip('EventStore contract: eventstoredb', () => {
    it('needs EVENTSTORE_URL', () => undefined);
  });
} else {
  describeEventStoreContract('eventstoredb', async () => {
    const store = new EventStoreDbEventStore(eventStoreUrl);
    return { store, cleanup: () => store.close() };
  });
}
