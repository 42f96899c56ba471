import { describe, expect, it } from 'vitest';
import { replayStream } from '../../src/commands/stream-replay.js';
import { raiaEventCatalogue } from '../../src/events/catalogue/raia-event-catalogue.js';
import type { JsonObject, StoredEvent } from '../../src/events/envelope.js';

const catalogue = raiaEventCatalogue();
const stored = (streamId: string, streamVersion: number, type: string, data: JsonObject): StoredEvent =>
  ({ id: `e${streamVersion}`, type, schemaVersion: 1, streamId, streamVersion, position: streamVersion + 1, occurredAt: new Date('2026-01-01T00:00:00Z'), actor: { kind: 'system', id: 'raia' }, correlationId: null, causationId: null, data }) as StoredEvent;

describe('replayStream', () => {
  it('folds a stream through its aggregate\'s evolve, by the stream\'s category', () => {
    const events = [stored('privacy-u1', 0, 'privacy.subject-erased', { subjectId: 'u1', reason: 'art. 17', keyDestroyed: true })];
    expect(replayStream(catalogue, 'privacy-u1', events)).toEqual({ aggregate: 'privacy', state: { status: 'erased', reason: 'art. 17' } });
    expect(replayStream(catalogue, 'privacy-u1', [])).toEqual({ aggregate: 'privacy', state: { status: 'active' } });
  });

  it('knows the ledger and user aggregates too', () => {
    expect(replayStream(catalogue, 'ledger', [])).toEqual({ aggregate: 'ledger', state: { seals: 0, sealedTo: 0, headHash: null } });
    const userEvents = [stored('user-u2', 0, 'user.email-verified', { userId: 'u2' })];
    expect(replayStream(catalogue, 'user-u2', userEvents)).toEqual({ aggregate: 'user', state: { status: 'none' } });
  });

  it('a stream of no aggregate has no state', () => {
    expect(replayStream(catalogue, 'model-m1', [stored('model-m1', 0, 'model.deleted', { modelId: 'm1', reason: 'x' })])).toEqual({ aggregate: null, state: null });
  });
});
