import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { v5 } from 'uuid';
import { CommandRefused } from '../../../src/commands/decider.js';
import { compliancePackStreamId } from '../../../src/commands/compliance/compliance-pack.decider.js';
import { defineControl, publishCustomPack, setApplicability } from '../../../src/commands/compliance/custom-packs.js';
import { SHIPPED_PACK_FILES, packIdOf, publishShippedPacks, shippedPacks } from '../../../src/commands/compliance/shipped-packs.js';
import type { Control } from '../../../src/events/catalogue/compliance.events.js';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';
import { systemActor } from '../../../src/events/envelope.js';
import { PostgresEventStore } from '../../../src/events/postgres/postgres-event-store.js';
import { openTestDatabase, type TestDatabase } from '../../support/test-database.js';

/** Publishing packs through the command handler onto a real store (no runtime). */
let db: TestDatabase;
let store: PostgresEventStore;
const catalogue = raiaEventCatalogue();
const meta = { actor: { kind: 'user' as const, id: 'admin-1', role: 'admin' } };
const PACK_NAMESPACE = '6f3c2a1e-4b8d-5e9f-a0b1-c2d3e4f5a6b7';

beforeAll(async () => {
  db = await openTestDatabase('postgres');
  store = new PostgresEventStore(db);
}, 60_000);
afterAll(async () => {
  await store.close();
  await db.drop();
});

async function refusal(run: () => Promise<unknown>): Promise<CommandRefused> {
  try {
    await run();
  } catch (error) {
    if (error instanceof CommandRefused) return error;
    throw error;
  }
  throw new Error('expected a refusal');
}

const control = (id: string, evidence: Control['evidence'] = [{ kind: 'retention', id: 'r', label: 'kept', missing: 'not kept', minimum: 'P6M' }]): Control => ({ id, title: `control ${id}`, description: '', appliesTo: { riskTiers: ['high'] }, evidence });
const events = (eventTypes: string[]): Control['evidence'][number] => ({ kind: 'events', id: 'e', label: 'l', missing: 'm', eventTypes, scope: 'version', where: [], freshness: null });
const active = (setType: string, clearType: string): Control['evidence'][number] => ({ kind: 'active', id: 'a', label: 'l', missing: 'm', setType, clearType, key: 'k', scope: 'model' });

describe('shipped packs', () => {
  it('ids follow from framework and version (UUID v5 in RAIA\'s namespace)', () => {
    expect(packIdOf('EU AI Act', '2024/1689')).toBe(v5('EU AI Act@2024/1689', PACK_NAMESPACE));
    expect(packIdOf('F', '1')).not.toBe(packIdOf('F', '2'));
    expect(SHIPPED_PACK_FILES).toEqual(['eu-ai-act.json', 'nist-ai-rmf.json', 'iso-iec-42001.json']);
    const packs = shippedPacks();
    expect(packs).toHaveLength(3);
    for (const pack of packs) expect(pack.packId).toBe(packIdOf(pack.framework, pack.version));
  });

  it('publishes each pack once, as RAIA, under an event id derived from the pack', async () => {
    const packs = shippedPacks();
    expect(await publishShippedPacks({ store, catalogue })).toEqual(packs.map((p) => p.packId));
    for (const pack of packs) {
      const [event] = await store.readStream(compliancePackStreamId(pack.packId));
      expect(event).toMatchObject({ id: v5(`${pack.packId}:published`, PACK_NAMESPACE), type: 'compliance.pack-published', actor: { kind: 'system', id: 'compliance-packs' } });
      expect(event!.data).toMatchObject({ packId: pack.packId, framework: pack.framework, version: pack.version, title: pack.title, origin: 'shipped' });
    }
    expect(await publishShippedPacks({ store, catalogue })).toEqual([]);
  });
});

describe('custom packs', () => {
  it('publishes under the id of its framework and version, then takes controls and statements', async () => {
    const published = await publishCustomPack({ store, catalogue }, { framework: 'Internal', version: '1', title: 'Our policy', controls: [control('C1', [events(['model.registered'])])] }, meta);
    const packId = packIdOf('Internal', '1');
    expect(published).toMatchObject({ packId, streamId: compliancePackStreamId(packId) });
    expect((await store.readStream(compliancePackStreamId(packId)))[0]!.data).toMatchObject({ packId, origin: 'custom', framework: 'Internal', version: '1', title: 'Our policy' });
    const defined = await defineControl({ store, catalogue }, packId, control('C2', [active('drift.schedule-set', 'drift.schedule-removed')]), meta);
    expect(defined.events.map((e) => e.type)).toEqual(['compliance.control-defined']);
    const stated = await setApplicability({ store, catalogue }, packId, { controlId: 'C2', applicable: false, justification: 'not used' }, meta);
    expect(stated.events.map((e) => e.type)).toEqual(['compliance.applicability-set']);
    expect((await store.readStream(compliancePackStreamId(packId))).at(-1)!.data).toEqual({ packId, controlId: 'C2', applicable: false, justification: 'not used' });
  });

  it('refuses evidence naming event types RAIA does not record, naming each field', async () => {
    const refused = await refusal(() =>
      publishCustomPack({ store, catalogue }, { framework: 'Internal', version: 'bad', title: 't', controls: [control('C1'), control('C2', [events(['model.registered', 'no.such-type']), active('nope.set', 'nope.clear')])] }, meta),
    );
    expect([refused.code, refused.reasons, refused.status, refused.field]).toEqual([
      'UNKNOWN_EVENT_TYPE',
      ['controls.1.evidence.0.eventTypes.1: unknown event type no.such-type', 'controls.1.evidence.1.setType: unknown event type nope.set', 'controls.1.evidence.1.clearType: unknown event type nope.clear'],
      400,
      'controls.1.evidence.0.eventTypes.1',
    ]);
    expect(await store.readStream(compliancePackStreamId(packIdOf('Internal', 'bad')))).toEqual([]);
    await publishCustomPack({ store, catalogue }, { framework: 'Internal', version: '2', title: 't', controls: [control('C1')] }, meta);
    const onDefine = await refusal(() => defineControl({ store, catalogue }, packIdOf('Internal', '2'), control('C3', [active('drift.schedule-set', 'nope.clear')]), meta));
    expect([onDefine.code, onDefine.reasons, onDefine.field]).toEqual(['UNKNOWN_EVENT_TYPE', ['control.evidence.0.clearType: unknown event type nope.clear'], 'control.evidence.0.clearType']);
  });
});

describe('a shipped pack as the decider sees it', () => {
  it('publishing one again is refused naming it', async () => {
    const [pack] = shippedPacks();
    const { handleCommand } = await import('../../../src/commands/command-handler.js');
    const { compliancePackDecider } = await import('../../../src/commands/compliance/compliance-pack.decider.js');
    await publishShippedPacks({ store, catalogue });
    const refused = await refusal(() => handleCommand({ store, catalogue }, compliancePackDecider, compliancePackStreamId(pack!.packId), { type: 'PublishPack', ...pack!, origin: 'shipped' }, { actor: systemActor() }));
    expect([refused.code, refused.reasons]).toEqual(['PACK_EXISTS', [`pack ${pack!.framework} ${pack!.version} is already published`]]);
  });
});
