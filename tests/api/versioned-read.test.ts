import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelStreamId } from '../../src/commands/model/model.decider.js';
import { findModel } from '../../src/projections/model-registry.projection.js';
import { readVersionedCached } from '../../src/api/versioned-read.js';
import type { DatabaseDialect } from '../../src/platform/database.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

// readVersionedCached keys a model's body by its stream's head: writes to other models must not
// make it read again, a write to the model must, and the version it answers must be the body's.

describe.each(['postgres', 'pglite'] as DatabaseDialect[])('versioned reads cached by the stream head (%s)', (dialect) => {
  let server: TestServer;
  let headers: Record<string, string>;
  const register = async (name: string) => {
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/models', headers, payload: { name, type: 'classification', riskTier: 'limited' } });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  const describeAs = async (id: string, description: string) => {
    const res = await server.app.inject({ method: 'PUT', url: `/api/v1/models/${id}`, headers, payload: { description } });
    expect(res.statusCode, res.body).toBe(200);
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    headers = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => server?.close());

  /** The read as the model routes make it, counting how often the body is read from the read model. */
  const counted = (id: string) => {
    let reads = 0;
    return {
      get reads() {
        return reads;
      },
      read: () => readVersionedCached(server.runtime, modelStreamId(id), 'model_registry', 'models.get.test', id, async () => (reads++, findModel(server.runtime.db.knex, id))),
    };
  };

  it('reads the body once while the model is unchanged, though other models change; again after the model changes, with its new version', async () => {
    const id = await register('watched');
    const other = await register('busy');
    const probe = counted(id);
    await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 5000);
    const first = await probe.read();
    expect(first.streamVersion).toBe(0);
    expect(first.value?.description).toBe('');
    expect(probe.reads).toBe(1);
    for (let n = 0; n < 3; n++) await describeAs(other, `busy ${n}`);
    await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 5000);
    expect(await probe.read()).toEqual(first);
    expect(probe.reads).toBe(1);
    await describeAs(id, 'changed');
    await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 5000);
    const second = await probe.read();
    expect(second.streamVersion).toBe(1);
    expect(second.value?.description).toBe('changed');
    expect(probe.reads).toBe(2);
  });

  it.each([
    ['before', 'the body read shows the write but the head read before it does not'],
    ['after', 'the head read before the body is the last, but the stream moves before the answer'],
  ])('never pairs a body with another version when a write lands %s the body is read (%s)', async (when) => {
    const id = await register(`raced ${when}`);
    await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 5000);
    let wrote = false;
    const write = async () => {
      if (wrote) return;
      wrote = true;
      await describeAs(id, 'during the read');
      await server.runtime.projections.waitFor((await server.runtime.store.head()).position, 5000);
    };
    const racing = await readVersionedCached(server.runtime, modelStreamId(id), 'model_registry', `models.get.race-${when}`, id, async () => {
      if (when === 'before') await write();
      const body = await findModel(server.runtime.db.knex, id);
      if (when === 'after') await write();
      return body;
    });
    // Either the state before the write with its version, or the state after with its version.
    expect([[0, ''], [1, 'during the read']]).toContainEqual([racing.streamVersion, racing.value?.description]);
    if (when === 'before') expect(racing.streamVersion).toBe(1);
    const after = await counted(id).read();
    expect([after.streamVersion, after.value?.description]).toEqual([1, 'during the read']);
  });
});
