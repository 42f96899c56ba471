import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { handleCommand, type CommandDeps } from '../../src/commands/command-handler.js';
import { currentStreamState } from '../../src/commands/current-stream-state.js';
import { CommandRefused, type Decider, type DomainEvent } from '../../src/commands/decider.js';
import { DEFAULT_DEPLOYMENT_POLICY } from '../../src/commands/model/deployment-policy.js';
import { modelDecider, modelStreamId, type ModelCommand, type VersionSpec } from '../../src/commands/model/model.decider.js';
import { PreconditionFailed, type StreamPrecondition } from '../../src/commands/stream-precondition.js';
import { StreamStateCache } from '../../src/commands/stream-state-cache.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import type { Actor, StoredEvent } from '../../src/events/envelope.js';
import type { EventStore } from '../../src/events/event-store.js';
import { PostgresEventStore } from '../../src/events/postgres/postgres-event-store.js';
import { openTestDatabase, type TestDatabase } from '../support/test-database.js';

const author: Actor = { kind: 'user', id: randomUUID(), role: 'data_scientist' };
const reviewer: Actor = { kind: 'user', id: randomUUID(), role: 'risk_officer' };
const policy = { policyVersion: 0, policy: DEFAULT_DEPLOYMENT_POLICY };
const spec: VersionSpec = { task: 'binary', classes: null, artifact: { sha256: 'a'.repeat(64), size: 10, format: 'raia-tree-ensemble/v1', filename: null }, endpoint: null, inputSchema: [{ name: 'x', type: 'number' }], trainingData: null, metrics: {}, notes: '' };

/** The real store, counting the streams read in full (what a kept state spares). */
function countingStore(store: EventStore): { store: EventStore; replays: () => number } {
  let replays = 0;
  const counted = Object.create(store) as EventStore;
  counted.readStream = (streamId, options) => {
    if (options === undefined) replays++;
    return store.readStream(streamId, options);
  };
  return { store: counted, replays: () => replays };
}

/**
 * Two processes on one ledger: A keeps the states its commands leave streams in, B writes behind
 * its back. Whatever A decides on a kept state must be what it decides on a replay.
 */
describe('commands deciding on kept stream states', () => {
  let db: TestDatabase;
  let storeA: PostgresEventStore;
  let storeB: PostgresEventStore;
  const catalogue = raiaEventCatalogue();
  let a: CommandDeps & { replays: () => number };
  let b: CommandDeps;
  const run = (deps: CommandDeps, modelId: string, command: ModelCommand, actor = author, precondition?: StreamPrecondition) =>
    handleCommand(deps, modelDecider, modelStreamId(modelId), command, { actor, ...(precondition ? { precondition } : {}) });
  const register = async (deps: CommandDeps) => {
    const modelId = randomUUID();
    await run(deps, modelId, { type: 'RegisterModel', modelId, modelType: 'classification', name: 'm', description: '', tags: [], riskTier: 'limited', intendedUse: '' });
    return modelId;
  };
  const streamOf = async (modelId: string) => (await storeB.readStream(modelStreamId(modelId))).map((e: StoredEvent) => [e.streamVersion, e.type, (e.data as { version?: number }).version ?? null]);

  beforeAll(async () => {
    db = await openTestDatabase('postgres');
    storeA = new PostgresEventStore(db);
    storeB = new PostgresEventStore(db);
    const counted = countingStore(storeA);
    a = { store: counted.store, catalogue, streamStates: new StreamStateCache(catalogue), replays: counted.replays };
    b = { store: storeB, catalogue };
  });
  afterAll(async () => {
    await storeA.close();
    await storeB.close();
    await db.drop();
  });

  it('decides the next command on the state the last one left, reading nothing', async () => {
    const modelId = await register(a);
    const before = a.replays();
    await run(a, modelId, { type: 'UpdateModel', changes: { description: 'one' } });
    await run(a, modelId, { type: 'AddVersion', spec });
    await run(a, modelId, { type: 'AddVersion', spec });
    expect(a.replays()).toBe(before);
    expect(await streamOf(modelId)).toEqual([[0, 'model.registered', null], [1, 'model.updated', null], [2, 'model.version-added', 1], [3, 'model.version-added', 2]]);
  });

  it("another process's write in between: the append fails and the command is decided again on the stream", async () => {
    const modelId = await register(a);
    await run(b, modelId, { type: 'AddVersion', spec });
    // A's kept state has no version: it would add version 1 again.
    const result = await run(a, modelId, { type: 'AddVersion', spec });
    expect(result.streamVersion).toBe(2);
    expect(await streamOf(modelId)).toEqual([[0, 'model.registered', null], [1, 'model.version-added', 1], [2, 'model.version-added', 2]]);
  });

  it('a refusal on a kept state that is behind is decided again: refused only if the stream refuses it', async () => {
    const modelId = await register(a);
    await run(a, modelId, { type: 'AddVersion', spec });
    // B validates version 1; A's kept state still has it as a draft, which may not be approved.
    await run(b, modelId, { type: 'ValidateVersion', version: 1, checks: [{ name: 'schema', passed: true, detail: 'ok' }] });
    const approved = await run(a, modelId, { type: 'ApproveVersion', version: 1, comment: 'ok', policy }, reviewer);
    expect(approved.events.map((e) => e.type)).toEqual(['model.version-approved']);
    // And a refusal the stream does give is given: B withdraws the model, A's kept state is active.
    await run(b, modelId, { type: 'DeleteModel', reason: 'gone' });
    await expect(run(a, modelId, { type: 'UpdateModel', changes: { description: 'late' } })).rejects.toBeInstanceOf(CommandRefused);
    expect((await streamOf(modelId)).map(([, type]) => type)).toEqual(['model.registered', 'model.version-added', 'model.version-validated', 'model.version-approved', 'model.deleted']);
  });

  it('a command its kept state refuses outright is decided again on the stream', async () => {
    const modelId = await register(a);
    await run(b, modelId, { type: 'AddVersion', spec });
    // A's kept state knows no version 1: validating it is refused there, not on the stream.
    const validated = await run(a, modelId, { type: 'ValidateVersion', version: 1, checks: [{ name: 'schema', passed: true, detail: 'ok' }] });
    expect(validated.events.map((e) => e.type)).toEqual(['model.version-validated']);
  });

  it("reads of the current state: the kept one while the head is at its version, moved on by another process's events", async () => {
    const deps = { ...a, streamStates: a.streamStates! };
    const replay = async (modelId: string) => (await storeB.readStream(modelStreamId(modelId))).reduce((s, e) => modelDecider.evolve(s, catalogue.upcast(e) as never), modelDecider.initialState());
    const modelId = await register(a);
    const before = a.replays();
    expect(await currentStreamState(deps, modelDecider, modelStreamId(modelId))).toEqual({ state: await replay(modelId), version: 0 });
    await run(b, modelId, { type: 'AddVersion', spec });
    await run(b, modelId, { type: 'ValidateVersion', version: 1, checks: [{ name: 'schema', passed: true, detail: 'ok' }] });
    const now = await currentStreamState(deps, modelDecider, modelStreamId(modelId));
    expect(now).toEqual({ state: await replay(modelId), version: 2 });
    expect(now.state).toMatchObject({ status: 'active', versions: [{ version: 1, status: 'validated', authorId: author.id }] });
    expect(a.replays()).toBe(before);
    // A stream nobody kept is replayed (and kept).
    const other = await register(b);
    expect(await currentStreamState(deps, modelDecider, modelStreamId(other))).toEqual({ state: await replay(other), version: 0 });
    expect(a.replays()).toBe(before + 1);
  });

  it("a precondition is checked against the stream when the kept state's version fails it", async () => {
    const modelId = await register(a);
    await run(b, modelId, { type: 'UpdateModel', changes: { description: 'by b' } });
    // The caller read version 1 (B's write); A's kept state is at 0.
    const result = await run(a, modelId, { type: 'UpdateModel', changes: { description: 'by a' } }, author, { kind: 'at', versions: [1] });
    expect(result.streamVersion).toBe(2);
    await expect(run(a, modelId, { type: 'UpdateModel', changes: { description: 'stale' } }, author, { kind: 'at', versions: [1] })).rejects.toBeInstanceOf(PreconditionFailed);
  });

  it('nothing to do on a kept state that is behind is decided again', async () => {
    const modelId = await register(a);
    await run(a, modelId, { type: 'UpdateModel', changes: { description: 'x' } });
    await run(b, modelId, { type: 'UpdateModel', changes: { description: 'y' } });
    // Empty changes decide nothing on any state; the stream is read once to be sure, and nothing is appended.
    const before = a.replays();
    const result = await run(a, modelId, { type: 'UpdateModel', changes: {} });
    expect(result.events).toEqual([]);
    expect(result.streamVersion).toBe(2);
    expect(a.replays()).toBe(before + 1);
  });
});

describe('what a stream state cache keeps', () => {
  const catalogue = raiaEventCatalogue();
  const event = (type: string): StoredEvent => ({ type, schemaVersion: catalogue.latestVersion(type) }) as StoredEvent;

  // The cache keeps whatever state it is given: plain values stand for a decider's states here.
  const decider = modelDecider as unknown as Decider<unknown, DomainEvent, unknown>;

  it('never a state folded from an event with personal or credential fields', () => {
    const cache = new StreamStateCache(catalogue);
    expect(cache.set(decider, 'model-1', { plain: true }, 3, [event('model.registered'), event('model.updated')])).toBe(true);
    expect(cache.get(decider, 'model-1')).toEqual({ state: { plain: true }, version: 3 });
    // chat.turn-recorded holds the question and prompt, incident.reported the description (personal).
    expect(cache.set(decider, 'model-1', { personal: true }, 4, [event('chat.turn-recorded')])).toBe(false);
    expect(cache.get(decider, 'model-1')).toBeUndefined();
    expect(cache.set(decider, 'model-2', {}, 0, [event('incident.reported')])).toBe(false);
    expect(cache.size).toBe(0);
  });

  it('keeps at most its bound, the least recently used going first, per decider', () => {
    const cache = new StreamStateCache(catalogue, 2);
    const other = { ...decider };
    cache.set(decider, 's1', 1, 0, []);
    cache.set(decider, 's2', 2, 0, []);
    cache.get(decider, 's1');
    cache.set(decider, 's3', 3, 0, []);
    expect([cache.get(decider, 's1')?.state, cache.get(decider, 's2'), cache.get(decider, 's3')?.state]).toEqual([1, undefined, 3]);
    expect(cache.get(other, 's1')).toBeUndefined();
  });
});
