import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, NodeTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { v7 } from 'uuid';
import { handleCommand } from '../../src/commands/command-handler.js';
import { currentStreamState } from '../../src/commands/current-stream-state.js';
import { CommandRefused, type Decider, type DomainEvent } from '../../src/commands/decider.js';
import { StreamStateCache } from '../../src/commands/stream-state-cache.js';
import { userDecider } from '../../src/commands/user/user.decider.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import { systemActor, type StoredEvent } from '../../src/events/envelope.js';
import { WrongExpectedVersion, type EventStore } from '../../src/events/event-store.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * A tally of data exports: each export records, as its ledger position, how many exports the state
 * it was decided on held, so the stored events show which state a command was decided on.
 * `type` only names the command (the handler's span); `op` is what it asks.
 */
type TallyCommand = { type?: unknown } & ({ op: 'export' } | { op: 'exportAt'; count: number } | { op: 'nothing' });
type TallyState = { exports: number };
type TallyDecider = Decider<TallyCommand, DomainEvent, TallyState> & { nowSeen: Date[] };

/** A fresh decider per test: the cache keys states by decider, and `nowSeen` records each decision's time. */
function tallyDecider(): TallyDecider {
  const nowSeen: Date[] = [];
  const exported = (count: number): DomainEvent => ({
    type: 'privacy.data-exported',
    data: { subjectId: 'tally', format: 'json', counts: { account: 0, sessions: 0, apiKeys: 0, events: 0, datasetRows: 0, mails: 0 }, ledgerPosition: count },
  });
  return {
    category: 'tally',
    nowSeen,
    initialState: () => ({ exports: 0 }),
    decide(command, state, { now }) {
      nowSeen.push(now);
      if (command.op === 'nothing') return [];
      if (command.op === 'exportAt' && state.exports !== command.count) throw new CommandRefused('TALLY_MOVED', [`${state.exports} exports, not ${command.count}`]);
      return [exported(state.exports)];
    },
    // Events of other types (a user's registration on the same stream) leave the tally as it is.
    evolve: (state, event) => (event.type === 'privacy.data-exported' ? { exports: state.exports + 1 } : state),
  };
}

const exportCommand: TallyCommand = { type: 'TallyExport', op: 'export' };
const actor = systemActor('tally');
const catalogue = raiaEventCatalogue();

/**
 * The real store with its calls counted; `append` may be made to fail (the test double of a
 * conflict or an outage). `readStream` refuses past `maxReplays` (8: more than any test needs), so
 * a handler that would retry for ever fails within the backoff of a few attempts instead of timing out.
 */
function instrumented(store: EventStore, options: { failAppend?: (n: number) => Error | undefined; afterAppend?: (n: number) => void; gapAfter?: boolean; maxReplays?: number } = {}) {
  const counts = { appends: 0, replays: 0, reads: 0, heads: 0 };
  const wrapped = Object.create(store) as EventStore;
  wrapped.append = async (streamId, events, appendOptions) => {
    const n = ++counts.appends;
    options.afterAppend?.(n);
    const failure = options.failAppend?.(n);
    if (failure) throw failure;
    return store.append(streamId, events, appendOptions);
  };
  wrapped.readStream = async (streamId, readOptions) => {
    counts.reads++;
    if (readOptions === undefined) {
      counts.replays++;
      if (counts.replays > (options.maxReplays ?? 8)) throw new Error('too many replays: the handler did not stop');
      return store.readStream(streamId);
    }
    const events = await store.readStream(streamId, readOptions);
    // A store that skipped an event: the events after a kept version then do not follow it.
    return options.gapAfter ? events.slice(1) : events;
  };
  wrapped.streamHead = (streamId) => {
    counts.heads++;
    return store.streamHead(streamId);
  };
  return { store: wrapped, counts };
}

const conflict = (streamId: string) => new WrongExpectedVersion(streamId, 0, 1);

let db: TestDatabase;
let store: PostgresEventStore;

beforeAll(async () => {
  db = await openTestDatabase('postgres');
  store = new PostgresEventStore(db);
}, 60_000);
afterAll(async () => {
  await store.close();
  await db.drop();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** A stream holding `exports` tally exports, written without any kept state. */
async function tallyStream(decider: TallyDecider, exports: number): Promise<string> {
  const streamId = `tally-${v7()}`;
  for (let i = 0; i < exports; i++) await handleCommand({ store, catalogue }, decider, streamId, exportCommand, { actor });
  return streamId;
}

const ledgerPositions = async (streamId: string) => (await store.readStream(streamId)).filter((e) => e.type === 'privacy.data-exported').map((e) => (e.data as { ledgerPosition: number }).ledgerPosition);

describe('command handler retries', () => {
  it('decides again after a conflicting append, six attempts in all, then throws the conflict, backing off 2^attempt × random ms', async () => {
    const decider = tallyDecider();
    const streamId = `tally-${v7()}`;
    const { store: conflicting, counts } = instrumented(store, { failAppend: () => conflict(streamId) });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
    const delays: number[] = [];
    const realSetTimeout = globalThis.setTimeout;
    vi.spyOn(globalThis, 'setTimeout').mockImplementation(((callback: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return realSetTimeout(callback, ms);
    }) as typeof setTimeout);
    const error = await handleCommand({ store: conflicting, catalogue }, decider, streamId, exportCommand, { actor }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongExpectedVersion);
    expect(counts).toMatchObject({ appends: 6, replays: 6 });
    // After attempts 1..5 (none after the last): 0.5 × 2, 0.5 × 4, … 0.5 × 32.
    expect(delays.filter((ms) => ms <= 64)).toEqual([1, 2, 4, 8, 16]);
    expect(await store.readStream(streamId)).toEqual([]);
  });

  it('throws any other failure of the append at once, without a retry, and drops the kept state', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 1);
    const streamStates = new StreamStateCache(catalogue);
    streamStates.set(decider, streamId, { exports: 1 }, 0, []);
    const outage = new Error('disk full');
    const { store: failing, counts } = instrumented(store, { failAppend: () => outage });
    await expect(handleCommand({ store: failing, catalogue, streamStates }, decider, streamId, exportCommand, { actor })).rejects.toBe(outage);
    expect(counts.appends).toBe(1);
    expect(streamStates.get(decider, streamId)).toBeUndefined();
  });

  it('decides the first attempt on the stream the caller read, reading nothing, and a retry on the stream as read again', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 2);
    const asRead = await store.readStream(streamId);
    const { store: counted, counts } = instrumented(store);
    const first = await handleCommand({ store: counted, catalogue }, decider, streamId, exportCommand, { actor, stream: asRead });
    expect(first.streamVersion).toBe(2);
    expect(counts.replays).toBe(0);
    // The caller's read is now stale (it ends at version 1): the append fails, the retry reads three exports.
    const second = await handleCommand({ store: counted, catalogue }, decider, streamId, exportCommand, { actor, stream: asRead });
    expect(second.streamVersion).toBe(3);
    expect(counts).toMatchObject({ replays: 1, appends: 3 });
    expect(await ledgerPositions(streamId)).toEqual([0, 1, 2, 3]);
  });

  it('decides with the time the caller gives, or the time of the call', async () => {
    const decider = tallyDecider();
    const now = new Date('2031-05-06T07:08:09Z');
    await handleCommand({ store, catalogue }, decider, `tally-${v7()}`, { op: 'nothing' }, { actor, now });
    expect(decider.nowSeen).toEqual([new Date('2031-05-06T07:08:09Z')]);
    const before = Date.now();
    await handleCommand({ store, catalogue }, decider, `tally-${v7()}`, { op: 'nothing' }, { actor });
    const after = Date.now();
    expect(decider.nowSeen).toHaveLength(2);
    expect(decider.nowSeen[1]).toBeInstanceOf(Date);
    expect(decider.nowSeen[1]!.getTime()).toBeGreaterThanOrEqual(before);
    expect(decider.nowSeen[1]!.getTime()).toBeLessThanOrEqual(after);
  });
});

describe('command handler and kept states', () => {
  it('keeps the state a command leaves its stream in, at the version it appended', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 1);
    const streamStates = new StreamStateCache(catalogue);
    await handleCommand({ store, catalogue, streamStates }, decider, streamId, exportCommand, { actor });
    expect(streamStates.get(decider, streamId)).toEqual({ state: { exports: 2 }, version: 1 });
  });

  it('keeps the state read for a command that decides nothing, and nothing for an empty stream', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 1);
    const streamStates = new StreamStateCache(catalogue);
    const nothing = await handleCommand({ store, catalogue, streamStates }, decider, streamId, { op: 'nothing' }, { actor });
    expect(nothing).toMatchObject({ streamVersion: 0, events: [], state: { exports: 1 } });
    expect(streamStates.get(decider, streamId)).toEqual({ state: { exports: 1 }, version: 0 });
    const empty = `tally-${v7()}`;
    expect(await handleCommand({ store, catalogue, streamStates }, decider, empty, { op: 'nothing' }, { actor })).toMatchObject({ streamVersion: -1, events: [] });
    expect(streamStates.get(decider, empty)).toBeUndefined();
    expect(streamStates.size).toBe(1);
  });

  it('keeps no state of a stream holding a personal field, even after appending a plain event to it', async () => {
    const userId = v7();
    const sealed = { $pii: 'v1' as const, subject: userId, iv: 'aaaaaaaaaaaaaaaa', ct: 'bbbb', tag: 'cccccccccccccccccccccc==' };
    const register = { type: 'Register' as const, userId, email: sealed, name: sealed, passwordHash: null, emailDigest: 'a'.repeat(64), role: 'viewer' as const, method: 'sso' as const, emailVerified: true };
    const streamId = `user-${userId}`;
    await handleCommand({ store, catalogue }, userDecider, streamId, register, { actor });
    const decider = tallyDecider();
    const streamStates = new StreamStateCache(catalogue);
    const result = await handleCommand({ store, catalogue, streamStates }, decider, streamId, exportCommand, { actor });
    // user.registered and user.email-verified, then the export.
    expect(result).toMatchObject({ streamVersion: 2, state: { exports: 1 } });
    expect(streamStates.get(decider, streamId)).toBeUndefined();
    expect(streamStates.size).toBe(0);
  });

  it('drops the kept state when the append was an idempotent repeat of a stored one', async () => {
    const decider = tallyDecider();
    const streamId = `tally-${v7()}`;
    const streamStates = new StreamStateCache(catalogue);
    const eventIds = [v7()];
    const first = await handleCommand({ store, catalogue, streamStates }, decider, streamId, exportCommand, { actor, eventIds });
    expect(streamStates.get(decider, streamId)).toEqual({ state: { exports: 1 }, version: 0 });
    // The same event id again: answered with the stored event, which the kept state already holds.
    const repeat = await handleCommand({ store, catalogue, streamStates }, decider, streamId, exportCommand, { actor, eventIds });
    expect(repeat.events).toEqual(first.events);
    expect(repeat.streamVersion).toBe(0);
    expect(streamStates.get(decider, streamId)).toBeUndefined();
    expect(await store.readStream(streamId)).toHaveLength(1);
  });

  it('a refusal on a kept state that is behind is decided again without using up an attempt', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 1);
    const streamStates = new StreamStateCache(catalogue);
    // Kept at one export, version 0; another writer then makes it two.
    streamStates.set(decider, streamId, { exports: 1 }, 0, []);
    await handleCommand({ store, catalogue }, decider, streamId, exportCommand, { actor });
    const { store: conflicting, counts } = instrumented(store, { failAppend: () => conflict(streamId) });
    vi.spyOn(Math, 'random').mockReturnValue(0);
    const error = await handleCommand({ store: conflicting, catalogue, streamStates }, decider, streamId, { op: 'exportAt', count: 2 }, { actor }).catch((e: unknown) => e);
    // Refused on the kept state (1 export), accepted on the stream (2), then six conflicting appends.
    expect(error).toBeInstanceOf(WrongExpectedVersion);
    expect(counts).toMatchObject({ appends: 6, replays: 6 });
    expect(decider.nowSeen).toHaveLength(2 + 1 + 6);
  });

  it('reads the stream on a retry even when a state was kept for it meanwhile', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 1);
    const streamStates = new StreamStateCache(catalogue);
    const stream = await store.readStream(streamId);
    const { store: once, counts } = instrumented(store, {
      failAppend: (n) => (n === 1 ? conflict(streamId) : undefined),
      // Another command of this process keeps the stream's state while this one backs off
      // (after the handler has dropped its own on the failed append).
      afterAppend: (n) => void (n === 1 && setImmediate(() => streamStates.set(decider, streamId, { exports: 1 }, 0, stream))),
    });
    const result = await handleCommand({ store: once, catalogue, streamStates }, decider, streamId, exportCommand, { actor });
    expect(result.streamVersion).toBe(1);
    expect(counts).toMatchObject({ appends: 2, replays: 2 });
  });
});

describe('current stream state', () => {
  it('is the kept state while the stream head is at its version, reading no event', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 2);
    const streamStates = new StreamStateCache(catalogue);
    const keptState = { exports: 2 };
    streamStates.set(decider, streamId, keptState, 1, []);
    const { store: counted, counts } = instrumented(store);
    const current = await currentStreamState({ store: counted, catalogue, streamStates }, decider, streamId);
    expect(current).toEqual({ state: { exports: 2 }, version: 1 });
    expect(current.state).toBe(keptState);
    expect(counts).toMatchObject({ heads: 1, reads: 0 });
  });

  it('is the kept state moved on by the events after it, which is then kept', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 3);
    const streamStates = new StreamStateCache(catalogue);
    streamStates.set(decider, streamId, { exports: 1 }, 0, []);
    const { store: counted, counts } = instrumented(store);
    expect(await currentStreamState({ store: counted, catalogue, streamStates }, decider, streamId)).toEqual({ state: { exports: 3 }, version: 2 });
    expect(counts).toMatchObject({ reads: 1, replays: 0 });
    expect(streamStates.get(decider, streamId)).toEqual({ state: { exports: 3 }, version: 2 });
  });

  it('replays the stream when the events after the kept version do not follow it', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 3);
    const streamStates = new StreamStateCache(catalogue);
    streamStates.set(decider, streamId, { exports: 1 }, 0, []);
    // The events after version 0 come back from version 2: folding them would count two exports.
    const { store: gapped, counts } = instrumented(store, { gapAfter: true });
    expect(await currentStreamState({ store: gapped, catalogue, streamStates }, decider, streamId)).toEqual({ state: { exports: 3 }, version: 2 });
    expect(counts.replays).toBe(1);
  });

  it('replays a stream whose head is missing though a state was kept for it', async () => {
    const decider = tallyDecider();
    const streamId = `tally-${v7()}`;
    const streamStates = new StreamStateCache(catalogue);
    streamStates.set(decider, streamId, { exports: 5 }, 0, []);
    expect(await currentStreamState({ store, catalogue, streamStates }, decider, streamId)).toEqual({ state: { exports: 0 }, version: null });
  });

  it('is the initial state at no version for an empty stream, keeping nothing', async () => {
    const decider = tallyDecider();
    const streamStates = new StreamStateCache(catalogue);
    const streamId = `tally-${v7()}`;
    expect(await currentStreamState({ store, catalogue, streamStates }, decider, streamId)).toEqual({ state: { exports: 0 }, version: null });
    expect(streamStates.get(decider, streamId)).toBeUndefined();
    expect(streamStates.size).toBe(0);
  });

  it('replays a stream no state was kept for, and keeps it at its last version', async () => {
    const decider = tallyDecider();
    const streamId = await tallyStream(decider, 2);
    const streamStates = new StreamStateCache(catalogue);
    expect(await currentStreamState({ store, catalogue, streamStates }, decider, streamId)).toEqual({ state: { exports: 2 }, version: 1 });
    expect(streamStates.get(decider, streamId)).toEqual({ state: { exports: 2 }, version: 1 });
  });
});

describe('stream state cache entries', () => {
  const event = (type: string, schemaVersion: number): StoredEvent => ({ type, schemaVersion }) as StoredEvent;

  it('deletes the state kept for one decider and stream only', () => {
    const decider = tallyDecider();
    const cache = new StreamStateCache(catalogue);
    cache.set(decider, 'tally-1', { exports: 1 }, 0, []);
    cache.set(decider, 'tally-2', { exports: 2 }, 1, []);
    cache.delete(decider, 'tally-1');
    expect(cache.get(decider, 'tally-1')).toBeUndefined();
    expect(cache.get(decider, 'tally-2')).toEqual({ state: { exports: 2 }, version: 1 });
    expect(cache.size).toBe(1);
  });

  it('never keeps a state folded from an event type the catalogue does not know', () => {
    const decider = tallyDecider();
    const cache = new StreamStateCache(catalogue);
    expect(cache.set(decider, 'tally-1', { exports: 1 }, 1, [event('privacy.data-exported', 1), event('tally.unheard-of', 1)])).toBe(false);
    expect(cache.get(decider, 'tally-1')).toBeUndefined();
    // A known type at a version the catalogue does not have is unknown too.
    expect(cache.set(decider, 'tally-1', { exports: 1 }, 0, [event('privacy.data-exported', 99)])).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('keeps separate states for two deciders on one stream', () => {
    const first = tallyDecider();
    const second = tallyDecider();
    const cache = new StreamStateCache(catalogue);
    cache.set(first, 'tally-1', { exports: 1 }, 0, []);
    cache.set(second, 'tally-1', { exports: 7 }, 6, []);
    expect(cache.get(first, 'tally-1')).toEqual({ state: { exports: 1 }, version: 0 });
    expect(cache.get(second, 'tally-1')).toEqual({ state: { exports: 7 }, version: 6 });
    cache.delete(first, 'tally-1');
    expect(cache.get(second, 'tally-1')).toEqual({ state: { exports: 7 }, version: 6 });
  });
});

describe('command handler spans', () => {
  const exporter = new InMemorySpanExporter();
  let provider: NodeTracerProvider;
  beforeAll(() => {
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    provider.register();
  });
  afterAll(async () => {
    await provider.shutdown();
    trace.disable();
    context.disable();
  });

  it('runs a command in a span named for its type, with the stream id, whose trace context its events keep', async () => {
    exporter.reset();
    const decider = tallyDecider();
    const streamId = `tally-${v7()}`;
    await handleCommand({ store, catalogue }, decider, streamId, exportCommand, { actor });
    // The store records no span of its own: the command's is the only one.
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['command TallyExport']);
    const span = spans[0];
    expect(span!.attributes).toEqual({ 'raia.stream.id': streamId });
    const { traceId, spanId } = span!.spanContext();
    const [stored] = await store.readStream(streamId);
    expect(stored!.metadata).toEqual({ traceparent: `00-${traceId}-${spanId}-01` });
  });

  it('names the span "command unknown" for a command without a string type', async () => {
    exporter.reset();
    const decider = tallyDecider();
    await handleCommand({ store, catalogue }, decider, `tally-${v7()}`, { op: 'nothing' }, { actor });
    await handleCommand({ store, catalogue }, decider, `tally-${v7()}`, { type: 7, op: 'nothing' }, { actor });
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['command unknown', 'command unknown']);
  });
});
