import { randomBytes } from 'node:crypto';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemActor, type StoredEvent } from '../../src/events/envelope.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { createInProcessBus } from '../../src/platform/in-process-bus.js';
import type { DeliveredMessage, MessageBus } from '../../src/platform/message-bus.js';
import { connectNatsBus } from '../../src/platform/nats-bus.js';
import { startEventRelay } from '../../src/processors/event-relay.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/processors/processor-checkpoints.js';
import { eventually } from '../platform/message-bus-contract.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
const TYPES = ['model.registered', 'model.version-added', 'dataset.registered', 'assessment.requested'];

/** Appends `count` events over a handful of streams, in appends of one to four events. */
async function appendEvents(store: PostgresEventStore, count: number): Promise<void> {
  let left = count;
  for (let i = 0; left > 0; i++) {
    const size = Math.min(left, (i % 4) + 1);
    const type = TYPES[i % TYPES.length]!;
    const events = Array.from({ length: size }, (_, j) => ({ id: uuidv7(), type, schemaVersion: 1, data: { n: i, j }, actor: systemActor() }));
    await store.append(`${type.split('.')[0]}-${i % 5}`, events);
    left -= size;
  }
}

/** What the relay must have published for a ledger event. */
const expectedPayload = (event: StoredEvent) => JSON.parse(JSON.stringify({ ...event, occurredAt: event.occurredAt.toISOString() }));

async function readWholeStream(jsm: JetStreamManager, stream: string) {
  const { state } = await jsm.streams.info(stream);
  const messages = [];
  for (let seq = state.first_seq; seq <= state.last_seq && state.messages > 0; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq });
    messages.push({ subject: m.subject, id: m.header.get('Nats-Msg-Id'), position: m.header.get('Raia-Position'), streamId: m.header.get('Raia-Stream-Id'), data: m.json() });
  }
  return { count: state.messages, messages };
}

/** A fresh Postgres ledger and a JetStream stream of its own, for one describe block. */
function natsRelayFixture() {
  const token = randomBytes(5).toString('hex');
  const ctx = { stream: `T_${token}`, subjectPrefix: `t${token}.raia.events` } as {
    stream: string;
    subjectPrefix: string;
    db: TestDatabase;
    store: PostgresEventStore;
    bus: MessageBus;
    nc: NatsConnection;
    jsm: JetStreamManager;
  };
  beforeAll(async () => {
    ctx.db = await openTestDatabase('postgres');
    ctx.store = new PostgresEventStore(ctx.db, { pollIntervalMs: 50 });
    ctx.bus = await connectNatsBus({ url: NATS_URL, stream: ctx.stream, subjectPrefix: ctx.subjectPrefix });
    ctx.nc = await connect({ servers: NATS_URL });
    ctx.jsm = await ctx.nc.jetstreamManager();
  });
  afterAll(async () => {
    await ctx.bus.close();
    await ctx.store.close();
    await ctx.db.drop();
    await ctx.jsm.streams.delete(ctx.stream).catch(() => undefined);
    await ctx.nc.close();
  });
  return ctx;
}

describe('event relay from the Postgres ledger to NATS JetStream', () => {
  const ctx = natsRelayFixture();

  it('publishes each event exactly once, in ledger order, across a crash before the checkpoint was saved', async () => {
    const { db, store, bus, jsm, stream, subjectPrefix } = ctx;
    await appendEvents(store, 130);
    let relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix, batchSize: 25 });
    await eventually(() => expect(relay.checkpoint()).toBe(130));
    expect(await relay.lag()).toBe(0);
    expect(await loadCheckpoint(db.knex, 'nats-relay')).toBe(130);
    await relay.stop();

    await appendEvents(store, 5);
    expect(await relay.lag()).toBe(5);

    // The relay published everything but "crashed" before saving its checkpoint.
    await saveCheckpoint(db.knex, 'nats-relay', 0);
    relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix, batchSize: 25 });
    expect(relay.checkpoint()).toBe(0);
    await appendEvents(store, 65);
    await eventually(() => expect(relay.checkpoint()).toBe(200));
    await relay.stop();
    expect(await loadCheckpoint(db.knex, 'nats-relay')).toBe(200);

    const ledger = await store.readAll({ limit: 1000 });
    expect(ledger).toHaveLength(200);
    const { count, messages } = await readWholeStream(jsm, stream);
    expect(count).toBe(200);
    expect(messages.map((m) => m.id)).toEqual(ledger.map((e) => e.id));
    expect(messages.map((m) => m.subject)).toEqual(ledger.map((e) => `${subjectPrefix}.${e.type}`));
    expect(messages.map((m) => m.position)).toEqual(ledger.map((e) => String(e.position)));
    expect(messages.map((m) => m.streamId)).toEqual(ledger.map((e) => e.streamId));
    expect(messages.map((m) => m.data)).toEqual(ledger.map(expectedPayload));
  });
});

describe('event relay when the bus fails', () => {
  const ctx = natsRelayFixture();

  it('keeps its checkpoint while publishing fails and catches up once the bus is back', async () => {
    const { db, store, bus, jsm, stream, subjectPrefix } = ctx;
    await appendEvents(store, 10);
    const relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix, retryDelayMs: 50 });
    await eventually(() => expect(relay.checkpoint()).toBe(10));

    await jsm.streams.delete(stream);
    await appendEvents(store, 7);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(relay.checkpoint()).toBe(10);
    expect(await relay.lag()).toBe(7);

    // Connecting a bus again recreates the stream.
    await (await connectNatsBus({ url: NATS_URL, stream, subjectPrefix })).close();
    await eventually(() => expect(relay.checkpoint()).toBe(17));
    await relay.stop();

    const tail = await store.readAll({ after: 10 });
    const { messages } = await readWholeStream(jsm, stream);
    expect(messages.map((m) => m.id)).toEqual(tail.map((e) => e.id));
  });
});

describe('event relay from the PGlite ledger to the in-process bus', () => {
  const subjectPrefix = 'raia.events';
  let db: TestDatabase;
  let store: PostgresEventStore;
  let bus: MessageBus;

  beforeAll(async () => {
    db = await openTestDatabase('pglite');
    store = new PostgresEventStore(db, { pollIntervalMs: 50 });
    bus = createInProcessBus();
  });

  afterAll(async () => {
    await bus.close();
    await store.close();
    await db.drop();
  });

  it('delivers each event exactly once, in ledger order, across a crash before the checkpoint was saved', async () => {
    const received: DeliveredMessage[] = [];
    const consumer = await bus.consume({ durable: 'audit', filterSubjects: [`${subjectPrefix}.>`], handler: async (m) => void received.push(m) });

    await appendEvents(store, 40);
    let relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix, batchSize: 8 });
    await eventually(() => expect(relay.checkpoint()).toBe(40));
    await relay.stop();
    await saveCheckpoint(db.knex, 'nats-relay', 0);
    relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix, batchSize: 8 });
    await appendEvents(store, 25);
    await eventually(() => expect(relay.checkpoint()).toBe(65));
    await relay.stop();
    await eventually(() => expect(received).toHaveLength(65));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await consumer.stop();

    const ledger = await store.readAll({ limit: 1000 });
    expect(received.map((m) => m.id)).toEqual(ledger.map((e) => e.id));
    expect(received.map((m) => m.headers['Raia-Position'])).toEqual(ledger.map((e) => String(e.position)));
    expect(received.map((m) => m.data())).toEqual(ledger.map(expectedPayload));
    expect((await bus.health()).detail?.lastSequence).toBe(65);
  });

  it('uses its own checkpoint name so several relays can run side by side', async () => {
    const relay = await startEventRelay({ store, bus, knex: db.knex, subjectPrefix: 'raia.mirror', name: 'mirror-relay' });
    await eventually(() => expect(relay.checkpoint()).toBe(65));
    await relay.stop();
    expect(await loadCheckpoint(db.knex, 'mirror-relay')).toBe(65);
    expect(await loadCheckpoint(db.knex, 'nats-relay')).toBe(65);
  });
});
