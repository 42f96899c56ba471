import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../src/commands/decider.js';
import { datasetDecider, datasetStreamId, type DatasetCommand, type DatasetEvent, type DatasetState, type DatasetVersionSpec } from '../../src/commands/dataset/dataset.decider.js';
import type { Actor } from '../../src/events/envelope.js';

const datasetId = '0193f0c2-0000-7000-8000-0000000000d1';
const owner: Actor = { kind: 'user', id: 'owner-1', role: 'data_scientist' };
const stranger: Actor = { kind: 'user', id: 'someone-else', role: 'data_scientist' };
const admin: Actor = { kind: 'user', id: 'admin-1', role: 'admin' };
const system: Actor = { kind: 'system', id: 'raia' };
const service: Actor = { kind: 'service', id: 'svc-1' };
const now = new Date('2026-11-23T10:00:00Z');

const given = (events: DatasetEvent[]): DatasetState => events.reduce(datasetDecider.evolve, datasetDecider.initialState());
const when = (events: DatasetEvent[], command: DatasetCommand, actor: Actor = owner) => datasetDecider.decide(command, given(events), { now, actor });
/** The refusal a decision throws (fails the test when it does not throw one). */
function refusal(run: () => unknown): CommandRefused {
  try {
    run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const registered: DatasetEvent = { type: 'dataset.registered', data: { datasetId, name: 'loans', description: 'd', tags: ['a'], ownerId: owner.id } };
const spec = (sha256: string): DatasetVersionSpec => ({ blob: { sha256, size: 10 }, format: 'csv', filename: 'loans.csv', rowCount: 3, columns: [{ name: 'x', type: 'number', nullable: false, hints: [] }], personal: null });
const uploaded = (version: number, sha256 = 'a'.repeat(64)): DatasetEvent => ({ type: 'dataset.version-uploaded', data: { datasetId, version, ...spec(sha256) } });
const rules = (ruleSetId: string): DatasetEvent => ({ type: 'quality.rules-defined', data: { ruleSetId, datasetId, name: 'basic', rules: [] } });
const deleted: DatasetEvent = { type: 'dataset.deleted', data: { datasetId, reason: 'gone', blobsRemoved: [] } };

describe('dataset decider', () => {
  it('streams are dataset-<id>; the category is dataset', () => {
    expect(datasetStreamId('x1')).toBe('dataset-x1');
    expect(datasetDecider.category).toBe('dataset');
    expect(datasetDecider.initialState()).toEqual({ status: 'none' });
  });

  it('registers with the actor as owner, and only once', () => {
    const command: DatasetCommand = { type: 'RegisterDataset', datasetId, name: 'loans', description: 'd', tags: ['a'] };
    expect(when([], command)).toEqual([registered]);
    expect(given([registered])).toEqual({ status: 'active', datasetId, ownerId: owner.id, versions: [], ruleSets: [] });
    const again = refusal(() => when([registered], command));
    expect([again.code, again.reasons, again.status]).toEqual(['DATASET_EXISTS', ['the dataset already exists'], 409]);
    expect(refusal(() => when([registered, deleted], command)).code).toBe('DATASET_EXISTS');
  });

  it('refuses every other command on a dataset that does not exist (422) or was deleted (409)', () => {
    const commands: DatasetCommand[] = [
      { type: 'AddDatasetVersion', spec: spec('b'.repeat(64)) },
      { type: 'RecordProfile', version: 1, profile: {}, qualityScore: 1, issues: [], elapsedMs: 1, codeVersion: 'c' },
      { type: 'DefineQualityRules', ruleSetId: 'r1', name: 'n', rules: [] },
      { type: 'RecordValidation', version: 1, ruleSetId: null, results: [], passed: true, elapsedMs: 1 },
      { type: 'DeleteDataset', reason: 'x', blobsRemoved: [] },
    ];
    for (const command of commands) {
      const missing = refusal(() => when([], command));
      expect([missing.code, missing.reasons, missing.status]).toEqual(['DATASET_NOT_FOUND', ['no such dataset'], 422]);
      const gone = refusal(() => when([registered, uploaded(1), deleted], command));
      expect([gone.code, gone.reasons, gone.status]).toEqual(['DATASET_DELETED', ['the dataset was deleted'], 409]);
    }
  });

  it('numbers versions one after another and keeps each version\'s hash', () => {
    expect(when([registered], { type: 'AddDatasetVersion', spec: spec('a'.repeat(64)) })).toEqual([uploaded(1)]);
    expect(when([registered, uploaded(1)], { type: 'AddDatasetVersion', spec: spec('b'.repeat(64)) })).toEqual([uploaded(2, 'b'.repeat(64))]);
    expect(given([registered, uploaded(1), uploaded(2, 'b'.repeat(64))])).toEqual({
      status: 'active',
      datasetId,
      ownerId: owner.id,
      versions: [
        { version: 1, sha256: 'a'.repeat(64) },
        { version: 2, sha256: 'b'.repeat(64) },
      ],
      ruleSets: [],
    });
  });

  it('only the owner, an administrator or RAIA itself adds versions, defines rules and deletes', () => {
    const commands: DatasetCommand[] = [
      { type: 'AddDatasetVersion', spec: spec('b'.repeat(64)) },
      { type: 'DefineQualityRules', ruleSetId: 'r1', name: 'n', rules: [] },
      { type: 'DeleteDataset', reason: 'x', blobsRemoved: [] },
    ];
    for (const command of commands) {
      const refused = refusal(() => when([registered], command, stranger));
      expect([refused.code, refused.reasons, refused.status]).toEqual(['NOT_DATASET_OWNER', ["only the dataset's owner or an administrator may do this"], 403]);
      for (const actor of [owner, admin, system, service]) expect(when([registered], command, actor)).toHaveLength(1);
    }
  });

  it('records a profile of an existing version, by anyone (the profiler is a process)', () => {
    const command: DatasetCommand = { type: 'RecordProfile', version: 1, profile: { rows: 3 }, qualityScore: 0.9, issues: [{ code: 'x' }], elapsedMs: 12, codeVersion: 'v1' };
    expect(when([registered, uploaded(1)], command, stranger)).toEqual([
      { type: 'dataset.profiled', data: { datasetId, version: 1, profile: { rows: 3 }, qualityScore: 0.9, issues: [{ code: 'x' }], elapsedMs: 12, codeVersion: 'v1' } },
    ]);
    const noVersion = refusal(() => when([registered, uploaded(1)], { ...command, version: 2 }));
    expect([noVersion.code, noVersion.reasons, noVersion.status, noVersion.field]).toEqual(['VERSION_NOT_FOUND', ['the dataset has no version 2'], 422, 'version']);
    // Any existing version, not only the last or the only one.
    expect(when([registered, uploaded(1), uploaded(2, 'b'.repeat(64))], command)[0]!.data).toMatchObject({ version: 1 });
    // A profile changes nothing the decider keeps.
    const before = given([registered, uploaded(1)]);
    expect(datasetDecider.evolve(before, when([registered, uploaded(1)], command)[0]!)).toBe(before);
  });

  it('defines rule sets the dataset then owns', () => {
    expect(when([registered], { type: 'DefineQualityRules', ruleSetId: 'r1', name: 'basic', rules: [] })).toEqual([rules('r1')]);
    expect(given([registered, rules('r1'), rules('r2')])).toMatchObject({ ruleSets: ['r1', 'r2'] });
  });

  it('records a validation against its own rule set or none, refusing a foreign rule set', () => {
    const history = [registered, uploaded(1), rules('r1')];
    const command: DatasetCommand = { type: 'RecordValidation', version: 1, ruleSetId: 'r1', results: [{ rule: 'a', passed: true }], passed: true, elapsedMs: 3 };
    expect(when(history, command, stranger)).toEqual([
      { type: 'quality.validated', data: { datasetId, version: 1, ruleSetId: 'r1', results: [{ rule: 'a', passed: true }], passed: true, elapsedMs: 3 } },
    ]);
    expect(when(history, { ...command, ruleSetId: null })[0]!.data).toMatchObject({ ruleSetId: null });
    const foreign = refusal(() => when(history, { ...command, ruleSetId: 'r9' }));
    expect([foreign.code, foreign.reasons, foreign.status, foreign.field]).toEqual(['RULE_SET_NOT_FOUND', ['rule set r9 does not belong to this dataset'], 422, 'ruleSetId']);
    const noVersion = refusal(() => when(history, { ...command, version: 3 }));
    expect([noVersion.code, noVersion.reasons]).toEqual(['VERSION_NOT_FOUND', ['the dataset has no version 3']]);
    const before = given(history);
    expect(datasetDecider.evolve(before, when(history, command)[0]!)).toBe(before);
  });

  it('deletes with the reason and the blobs removed; the dataset then stays deleted', () => {
    expect(when([registered, uploaded(1)], { type: 'DeleteDataset', reason: 'gone', blobsRemoved: ['a'.repeat(64)] })).toEqual([
      { type: 'dataset.deleted', data: { datasetId, reason: 'gone', blobsRemoved: ['a'.repeat(64)] } },
    ]);
    expect(given([registered, uploaded(1), deleted])).toEqual({ status: 'deleted', datasetId, ownerId: owner.id, versions: [{ version: 1, sha256: 'a'.repeat(64) }], ruleSets: [] });
  });

  it('ignores events before registration', () => {
    expect(given([uploaded(1), rules('r1'), deleted])).toEqual({ status: 'none' });
  });
});
