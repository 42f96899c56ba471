import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { handleCommand } from '../../../src/commands/command-handler.js';
import { CommandRefused } from '../../../src/commands/decider.js';
import { IncidentModelNotFound, closeIncident, reportIncident, updateIncident } from '../../../src/commands/incident/incident-commands.js';
import { incidentStreamId } from '../../../src/commands/incident/incident.decider.js';
import { modelDecider, modelStreamId } from '../../../src/commands/model/model.decider.js';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';
import { PersonalDataVault } from '../../../src/events/personal-data.js';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { openTestDatabase, type TestDatabase } from '../../support/test-database.js';

let db: TestDatabase;
let deps: { store: PostgresEventStore; catalogue: ReturnType<typeof raiaEventCatalogue>; vault: PersonalDataVault };
const KEYS_TABLE = 'raia_subject_keys';
const officer = { kind: 'user' as const, id: 'officer-1', role: 'risk_officer' };
const now = new Date('2026-03-10T12:00:00Z');
const modelId = '0193f0c2-0000-7000-8000-0000000000e1';

beforeAll(async () => {
  db = await openTestDatabase('postgres');
  deps = { store: new PostgresEventStore(db), catalogue: raiaEventCatalogue(), vault: new PersonalDataVault(db.knex, randomBytes(32)) };
  const register = { type: 'RegisterModel' as const, modelId, modelType: 'classification' as const, name: 'credit', description: '', tags: [], riskTier: 'high' as const, intendedUse: 'u' };
  await handleCommand(deps, modelDecider, modelStreamId(modelId), register, { actor: officer });
  const spec = { task: 'binary' as const, classes: ['0', '1'], artifact: null, endpoint: { url: 'http://127.0.0.1/x' }, inputSchema: [{ name: 'x', type: 'number' }], trainingData: null, metrics: {}, notes: '' };
  await handleCommand(deps, modelDecider, modelStreamId(modelId), { type: 'AddVersion', spec }, { actor: officer });
  await handleCommand(deps, modelDecider, modelStreamId(modelId), { type: 'AddVersion', spec }, { actor: officer });
}, 60_000);
afterAll(async () => {
  await deps.store.close();
  await db.drop();
});

async function failure(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure');
}
const plain = async (incidentId: string) => (await deps.vault.reveal(await deps.store.readStream(incidentStreamId(incidentId)))).map((e) => ({ type: e.type, data: e.data }));

describe('incident commands', () => {
  it('reports an incident on an existing version, its description sealed under the incident\'s own subject', async () => {
    const awareAt = new Date('2026-03-09T08:00:00Z');
    const result = await reportIncident(deps, { modelId, modelVersion: 1, severity: 'high', category: 'death', description: 'a patient died', awareAt }, { actor: officer, now });
    expect(result.streamId).toBe(incidentStreamId(result.incidentId));
    const [stored] = await deps.store.readStream(incidentStreamId(result.incidentId));
    expect(stored!.data.description).toMatchObject({ subject: `incident-${result.incidentId}` });
    expect(await plain(result.incidentId)).toEqual([
      { type: 'incident.reported', data: { incidentId: result.incidentId, modelId, modelVersion: 1, severity: 'high', category: 'death', description: 'a patient died', awareAt: '2026-03-09T08:00:00.000Z', deadline: '2026-03-19T08:00:00.000Z' } },
    ]);
    // Without a version it is about the model.
    const modelWide = await reportIncident(deps, { modelId, modelVersion: null, severity: 'low', category: 'serious-incident', description: 'd', awareAt }, { actor: officer, now });
    expect((await plain(modelWide.incidentId))[0]!.data).toMatchObject({ modelVersion: null });
  });

  it('an unknown model is not found; an unknown version is refused on the modelVersion field', async () => {
    const awareAt = new Date('2026-03-09T08:00:00Z');
    const missing = await failure(() => reportIncident(deps, { modelId: '0193f0c2-0000-7000-8000-0000000000ff', modelVersion: null, severity: 'low', category: 'death', description: 'd', awareAt }, { actor: officer, now }));
    expect(missing).toBeInstanceOf(IncidentModelNotFound);
    expect((missing as Error).message).toBe('model 0193f0c2-0000-7000-8000-0000000000ff');
    const version = await failure(() => reportIncident(deps, { modelId, modelVersion: 3, severity: 'low', category: 'death', description: 'd', awareAt }, { actor: officer, now }));
    expect(version).toBeInstanceOf(CommandRefused);
    expect(version).toMatchObject({ code: 'VERSION_NOT_FOUND', reasons: ['the model has no version 3'], status: 400, field: 'modelVersion' });
    // Any of the model's versions will do, not only its only one.
    expect((await reportIncident(deps, { modelId, modelVersion: 1, severity: 'low', category: 'death', description: 'd', awareAt }, { actor: officer, now })).events).toHaveLength(1);
  });

  it('refuses an awareness in the future before sealing anything', async () => {
    const keys = async () => Number((await db.knex(KEYS_TABLE).count<{ count: string }[]>({ count: '*' }))[0]!.count);
    const before = await keys();
    const future = await failure(() => reportIncident(deps, { modelId, modelVersion: 1, severity: 'low', category: 'death', description: 'd', awareAt: new Date(now.getTime() + 1) }, { actor: officer, now }));
    expect(future).toMatchObject({ code: 'IN_THE_FUTURE', reasons: ['awareAt is in the future'], status: 400, field: 'awareAt' });
    // No subject key was made for the incident never recorded.
    expect(await keys()).toBe(before);
    // Exactly now is not in the future; without a `now` the clock decides.
    expect((await reportIncident(deps, { modelId, modelVersion: 1, severity: 'low', category: 'death', description: 'd', awareAt: now }, { actor: officer, now })).events).toHaveLength(1);
    const tomorrow = new Date(Date.now() + 86_400_000);
    expect(await failure(() => reportIncident(deps, { modelId, modelVersion: 1, severity: 'low', category: 'death', description: 'd', awareAt: tomorrow }, { actor: officer }))).toMatchObject({ code: 'IN_THE_FUTURE' });
  });

  it('updates with a sealed description only when one is given, and closes with a sealed resolution', async () => {
    const { incidentId } = await reportIncident(deps, { modelId, modelVersion: 1, severity: 'high', category: 'serious-incident', description: 'first', awareAt: new Date('2026-03-01T00:00:00Z') }, { actor: officer, now });
    await updateIncident(deps, incidentId, { severity: 'critical', authorityReference: 'REF-1' }, { actor: officer, now });
    await updateIncident(deps, incidentId, { description: 'second' }, { actor: officer, now });
    await closeIncident(deps, incidentId, 'fixed', { actor: officer, now });
    const stored = await deps.store.readStream(incidentStreamId(incidentId));
    expect(stored[1]!.data).not.toHaveProperty('description');
    expect(stored[2]!.data.description).toMatchObject({ subject: `incident-${incidentId}` });
    expect(stored[3]!.data.resolution).toMatchObject({ subject: `incident-${incidentId}` });
    expect((await plain(incidentId)).slice(1)).toEqual([
      { type: 'incident.updated', data: { incidentId, severity: 'critical', authorityReference: 'REF-1', deadline: '2026-03-16T00:00:00.000Z' } },
      { type: 'incident.updated', data: { incidentId, description: 'second', deadline: '2026-03-16T00:00:00.000Z' } },
      { type: 'incident.closed', data: { incidentId, resolution: 'fixed' } },
    ]);
  });
});
