import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { StoredEvent } from '../../src/events/envelope.js';
import type { AppendResult, EventStore } from '../../src/events/event-store.js';
import { keyFingerprint } from '../../src/events/ledger-seal.js';
import { LedgerWitnessFile } from '../../src/events/ledger-witness-file.js';
import type { WitnessFloor } from '../../src/events/ledger-witness.js';
import { witnessAppends } from '../../src/events/witnessed-event-store.js';
import { newEvent, fakeHashOf as hashOf, fakeStoredEvent } from '../support/events.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const dirs: string[] = [];

async function openWitness(): Promise<LedgerWitnessFile> {
  const dir = mkdtempSync(join(tmpdir(), 'raia-witnessed-store-'));
  dirs.push(dir);
  return LedgerWitnessFile.open({ path: join(dir, 'ledger-witness.json'), signingKey: privateKey, verifyKey: publicKey, trustedKeyIds: new Set([keyFingerprint(publicKey)]), intervalMs: 60_000 });
}

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const stored = (position: number) => fakeStoredEvent(position);

type Call = { method: string; args: unknown[]; self: unknown };

/**
 * The port the wrapper consumes: every method records its name, its arguments and its `this`, and
 * answers a distinct token, so a test can tell whether the wrapper passed a call (and its answer) on.
 */
function recordingStore(options: { optional: boolean; appended?: StoredEvent[] }) {
  const calls: Call[] = [];
  const answer = (method: string) =>
    function (this: unknown, ...args: unknown[]) {
      calls.push({ method, args, self: this });
      return `${method}-answer`;
    };
  const store: Record<string, unknown> = {
    name: 'recording',
    append(this: unknown, ...args: unknown[]) {
      calls.push({ method: 'append', args, self: this });
      const events = options.appended ?? [];
      const result: AppendResult = { streamId: String(args[0]), nextExpectedVersion: events.length - 1, position: events.at(-1)?.position ?? 0, events, duplicate: false };
      return Promise.resolve(result);
    },
    readStream: answer('readStream'),
    streamHead: answer('streamHead'),
    readAll: answer('readAll'),
    countAll: answer('countAll'),
    head: answer('head'),
    subscribeToAll: answer('subscribeToAll'),
    verify: answer('verify'),
    close: answer('close'),
  };
  if (options.optional) {
    for (const method of ['readAllText', 'readAllHashes', 'readEventsAt', 'readAllCsv', 'copyAllCsv', 'onCommitted', 'readFollowing']) store[method] = answer(method);
  }
  return { store: store as unknown as EventStore, calls };
}

const OPTIONAL = ['readAllText', 'readAllHashes', 'readEventsAt', 'readAllCsv', 'copyAllCsv', 'onCommitted', 'readFollowing'] as const;

describe('witnessAppends', () => {
  it('passes every read, head, subscribe and close call through with its arguments and answer', async () => {
    const { store, calls } = recordingStore({ optional: true });
    const wrapped = witnessAppends(store, await openWitness());
    expect(wrapped.name).toBe('recording');
    const readOptions = { after: 3, limit: 2 };
    const subscribe = { after: 5, onEvents: () => Promise.resolve() };
    const rule = { classifiedTypes: ['x.y@1'], sealedMarker: 'SEALED' };
    const results: unknown[] = [
      await wrapped.readStream('model-1', { fromVersion: 2 }),
      await wrapped.streamHead('model-2'),
      await wrapped.readAll(readOptions),
      await wrapped.countAll({ after: 7 }),
      await wrapped.readAllText!(readOptions),
      await wrapped.readAllHashes!(readOptions),
      await wrapped.readEventsAt!([4, 9]),
      await wrapped.readAllCsv!(readOptions, rule),
      wrapped.copyAllCsv!({ after: 1, to: 8 }, rule),
      await wrapped.head(),
      wrapped.onCommitted!(() => undefined),
      await wrapped.readFollowing!(11, 50),
      wrapped.subscribeToAll(subscribe),
      await wrapped.close(),
    ];
    expect(results).toEqual([
      'readStream-answer', 'streamHead-answer', 'readAll-answer', 'countAll-answer', 'readAllText-answer', 'readAllHashes-answer', 'readEventsAt-answer',
      'readAllCsv-answer', 'copyAllCsv-answer', 'head-answer', 'onCommitted-answer', 'readFollowing-answer', 'subscribeToAll-answer', 'close-answer',
    ]);
    expect(calls.map((c) => [c.method, c.args])).toEqual([
      ['readStream', ['model-1', { fromVersion: 2 }]],
      ['streamHead', ['model-2']],
      ['readAll', [readOptions]],
      ['countAll', [{ after: 7 }]],
      ['readAllText', [readOptions]],
      ['readAllHashes', [readOptions]],
      ['readEventsAt', [[4, 9]]],
      ['readAllCsv', [readOptions, rule]],
      ['copyAllCsv', [{ after: 1, to: 8 }, rule]],
      ['head', []],
      ['onCommitted', [calls[10]?.args[0]]],
      ['readFollowing', [11, 50]],
      ['subscribeToAll', [subscribe]],
      ['close', []],
    ]);
    expect(typeof calls[10]?.args[0]).toBe('function');
    // Optional methods are bound to the inner store: adapters' methods use `this`.
    for (const c of calls.filter((c) => (OPTIONAL as readonly string[]).includes(c.method))) expect(c.self).toBe(store);
  });

  it('offers the optional methods only when the inner store has them', async () => {
    const witness = await openWitness();
    const bare = witnessAppends(recordingStore({ optional: false }).store, witness);
    for (const method of OPTIONAL) expect(bare[method], method).toBeUndefined();
    for (const method of OPTIONAL) expect(method in bare, method).toBe(false);
    const full = witnessAppends(recordingStore({ optional: true }).store, witness);
    for (const method of OPTIONAL) expect(typeof full[method], method).toBe('function');
  });

  it("acknowledges the last appended event's position and hash to the witness", async () => {
    const witness = await openWitness();
    const appended = [stored(4), stored(5), stored(6)];
    const { store, calls } = recordingStore({ optional: false, appended });
    const wrapped = witnessAppends(store, witness);
    const events = [newEvent({ a: 1 }), newEvent({ a: 2 }), newEvent({ a: 3 })];
    const result = await wrapped.append('test-1', events, { expectedVersion: 2 });
    expect(result.events).toBe(appended);
    expect(calls).toEqual([{ method: 'append', args: ['test-1', events, { expectedVersion: 2 }], self: store }]);
    // Position 6 is the last of the three, with its own hash (not 4's, not beyond the array).
    expect(await witness.floor()).toEqual({ acknowledged: { position: 6, hash: hashOf(6) }, sealed: null, writtenAt: null, problem: null });
    await witness.close();
  });

  it('acknowledges nothing for an append answering no events', async () => {
    const witness = await openWitness();
    const wrapped = witnessAppends(recordingStore({ optional: false, appended: [] }).store, witness);
    await wrapped.append('test-1', [newEvent()]);
    // An empty witness has no floor at all.
    expect(await witness.floor()).toBeNull();
  });

  it("verifies with the caller's range, the witness floor and the seal archive's newest seal", async () => {
    const witness = await openWitness();
    witness.acknowledge(12, hashOf(12));
    const archived: WitnessFloor = { acknowledged: { position: 10, hash: hashOf(10) }, sealed: { toPosition: 9, headHash: hashOf(9) }, writtenAt: '2026-01-01T00:00:00.000Z', problem: null };
    const { store, calls } = recordingStore({ optional: false });
    const wrapped = witnessAppends(store, witness, () => Promise.resolve(archived));
    const answer = (await wrapped.verify({ from: 3, to: 8 })) as unknown;
    expect(answer).toBe('verify-answer');
    expect(calls).toEqual([
      {
        method: 'verify',
        args: [{ from: 3, to: 8, witness: { acknowledged: { position: 12, hash: hashOf(12) }, sealed: null, writtenAt: null, problem: null }, sealArchive: archived }],
        self: store,
      },
    ]);
    await witness.close();
  });

  it('verifies with no options and no archive: the floor alone, and a null archive', async () => {
    const witness = await openWitness();
    const { store, calls } = recordingStore({ optional: false });
    const wrapped = witnessAppends(store, witness);
    await wrapped.verify();
    // Nothing acknowledged yet: the floor is null; the default archive answers null (not undefined).
    expect(calls.map((c) => c.args)).toEqual([[{ witness: null, sealArchive: null }]]);
    expect(calls[0]?.args[0]).toHaveProperty('sealArchive', null);
  });
});
