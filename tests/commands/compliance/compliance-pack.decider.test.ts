import { describe, expect, it } from 'vitest';
import { compliancePackDecider, compliancePackStreamId, controlListProblems, requirementIdProblems, type CompliancePackCommand, type CompliancePackEvent } from '../../../src/commands/compliance/compliance-pack.decider.js';
import { shippedPacks } from '../../../src/commands/compliance/shipped-packs.js';
import type { Control } from '../../../src/events/catalogue/compliance.events.js';
import { raiaEventCatalogue } from '../../../src/events/catalogue/raia-event-catalogue.js';

const actor = { kind: 'user' as const, id: 'u', role: 'admin' };
const ctx = { now: new Date('2025-01-01T00:00:00Z'), actor };
const control = (id: string): Control => ({ id, title: id, description: '', appliesTo: { riskTiers: ['high'] }, evidence: [{ kind: 'retention', id: 'r', label: 'r', minimum: 'P6M', missing: 'm' }] });
const publish = (origin: 'shipped' | 'custom', controls = [control('A')]): CompliancePackCommand => ({ type: 'PublishPack', packId: 'p', framework: 'F', version: '1', title: 't', origin, controls });
const given = (events: CompliancePackEvent[]) => events.reduce(compliancePackDecider.evolve, compliancePackDecider.initialState());

describe('compliance pack decider', () => {
  it('publishes once; refuses repeated control ids naming the field', () => {
    const [published] = compliancePackDecider.decide(publish('custom'), given([]), ctx);
    expect(published!.type).toBe('compliance.pack-published');
    expect(() => compliancePackDecider.decide(publish('custom'), given([published!]), ctx)).toThrow(expect.objectContaining({ code: 'PACK_EXISTS' }));
    expect(() => compliancePackDecider.decide(publish('custom', [control('A'), control('A')]), given([]), ctx)).toThrow(expect.objectContaining({ code: 'INVALID_CONTROLS', field: 'controls.1.id', status: 400 }));
  });

  it('custom packs take controls, shipped ones do not; statements only for controls the pack has', () => {
    const [custom] = compliancePackDecider.decide(publish('custom'), given([]), ctx);
    const [defined] = compliancePackDecider.decide({ type: 'DefineControl', control: control('B') }, given([custom!]), ctx);
    expect(defined!.type).toBe('compliance.control-defined');
    expect(compliancePackDecider.decide({ type: 'SetApplicability', controlId: 'B', applicable: false, justification: 'j' }, given([custom!, defined!]), ctx)[0]!.type).toBe('compliance.applicability-set');
    expect(() => compliancePackDecider.decide({ type: 'SetApplicability', controlId: 'Z', applicable: true, justification: 'j' }, given([custom!]), ctx)).toThrow(expect.objectContaining({ code: 'CONTROL_NOT_FOUND' }));
    const [shipped] = compliancePackDecider.decide(publish('shipped'), given([]), ctx);
    expect(() => compliancePackDecider.decide({ type: 'DefineControl', control: control('B') }, given([shipped!]), ctx)).toThrow(expect.objectContaining({ code: 'SHIPPED_PACK' }));
  });

  it('shipped pack files are valid events naming only event types RAIA records', () => {
    const catalogue = raiaEventCatalogue();
    const known = new Set(catalogue.types().map((d) => d.type));
    for (const pack of shippedPacks()) {
      const [event] = compliancePackDecider.decide({ type: 'PublishPack', ...pack, origin: 'shipped' }, given([]), ctx);
      expect(() => catalogue.validate(event!.type, event!.data)).not.toThrow();
      for (const c of pack.controls)
        for (const r of c.evidence) {
          if (r.kind === 'events') for (const t of r.eventTypes) expect(known, `${pack.framework} ${c.id} ${t}`).toContain(t);
          if (r.kind === 'active') for (const t of [r.setType, r.clearType]) expect(known, `${pack.framework} ${c.id} ${t}`).toContain(t);
        }
    }
  });
});

describe('compliance pack decider: every refusal and event in full', () => {
  const requirement = (id: string) => ({ kind: 'retention' as const, id, label: 'l', minimum: 'P6M', missing: 'm' });
  const withRequirements = (id: string, ids: string[]): Control => ({ ...control(id), evidence: ids.map(requirement) });
  const refusal = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error as { code: string; reasons: string[]; status: number; field?: string };
    }
    throw new Error('expected a refusal');
  };

  it('streams are compliance-pack-<id>; publishing records the header and controls', () => {
    expect(compliancePackStreamId('p1')).toBe('compliance-pack-p1');
    expect(compliancePackDecider.category).toBe('compliance');
    expect(compliancePackDecider.initialState()).toEqual({ status: 'none' });
    const [published] = compliancePackDecider.decide(publish('custom', [control('A'), control('B')]), given([]), ctx);
    expect(published).toEqual({ type: 'compliance.pack-published', data: { packId: 'p', framework: 'F', version: '1', title: 't', origin: 'custom', controls: [control('A'), control('B')] } });
    expect(given([published!])).toEqual({ status: 'published', packId: 'p', framework: 'F', version: '1', title: 't', origin: 'custom', controlIds: ['A', 'B'] });
    const again = refusal(() => compliancePackDecider.decide(publish('custom'), given([published!]), ctx));
    expect([again.code, again.reasons, again.status]).toEqual(['PACK_EXISTS', ['pack F 1 is already published'], 409]);
  });

  it('lists every repeated control and requirement id with its field', () => {
    expect(controlListProblems([withRequirements('A', ['r1', 'r2', 'r1', 'r1']), withRequirements('B', ['r1']), withRequirements('A', ['x'])], 'controls')).toEqual([
      { field: 'controls.0.evidence.2.id', message: 'requirement r1 appears twice in control A' },
      { field: 'controls.0.evidence.3.id', message: 'requirement r1 appears twice in control A' },
      { field: 'controls.2.id', message: 'control A appears twice' },
    ]);
    const refused = refusal(() => compliancePackDecider.decide(publish('custom', [withRequirements('A', ['r', 'r']), control('A')]), given([]), ctx));
    expect([refused.code, refused.reasons, refused.status, refused.field]).toEqual(['INVALID_CONTROLS', ['controls.0.evidence.1.id: requirement r appears twice in control A', 'controls.1.id: control A appears twice'], 400, 'controls.0.evidence.1.id']);
    expect(requirementIdProblems(withRequirements('X', ['a', 'b']), 'control')).toEqual([]);
  });

  it('every change needs a published pack', () => {
    for (const command of [{ type: 'DefineControl', control: control('B') }, { type: 'SetApplicability', controlId: 'A', applicable: true, justification: 'j' }] as CompliancePackCommand[]) {
      const refused = refusal(() => compliancePackDecider.decide(command, given([]), ctx));
      expect([refused.code, refused.reasons, refused.status]).toEqual(['PACK_NOT_FOUND', ['no such control pack'], 422]);
    }
  });

  it('defines a control in a custom pack, refusing repeated requirement ids; a shipped pack refuses with the reason', () => {
    const [custom] = compliancePackDecider.decide(publish('custom'), given([]), ctx);
    expect(compliancePackDecider.decide({ type: 'DefineControl', control: control('B') }, given([custom!]), ctx)).toEqual([{ type: 'compliance.control-defined', data: { packId: 'p', control: control('B') } }]);
    const refused = refusal(() => compliancePackDecider.decide({ type: 'DefineControl', control: withRequirements('B', ['q', 'q']) }, given([custom!]), ctx));
    expect([refused.code, refused.reasons, refused.status, refused.field]).toEqual(['INVALID_CONTROLS', ['control.evidence.1.id: requirement q appears twice in control B'], 400, 'control.evidence.1.id']);
    const [shipped] = compliancePackDecider.decide(publish('shipped'), given([]), ctx);
    const immutable = refusal(() => compliancePackDecider.decide({ type: 'DefineControl', control: control('B') }, given([shipped!]), ctx));
    expect([immutable.code, immutable.reasons, immutable.status]).toEqual(['SHIPPED_PACK', ['pack F 1 is shipped with RAIA and cannot change; publish a custom pack for your own controls'], 409]);
  });

  it('a redefined control is listed once; statements name the pack and control; applicability changes no state', () => {
    const [custom] = compliancePackDecider.decide(publish('custom'), given([]), ctx);
    const defined = (id: string): CompliancePackEvent => ({ type: 'compliance.control-defined', data: { packId: 'p', control: control(id) } });
    expect(given([custom!, defined('B'), defined('A'), defined('B')])).toMatchObject({ controlIds: ['A', 'B'] });
    expect(given([defined('B')])).toEqual({ status: 'none' });
    const state = given([custom!]);
    const [statement] = compliancePackDecider.decide({ type: 'SetApplicability', controlId: 'A', applicable: true, justification: 'in scope' }, state, ctx);
    expect(statement).toEqual({ type: 'compliance.applicability-set', data: { packId: 'p', controlId: 'A', applicable: true, justification: 'in scope' } });
    expect(compliancePackDecider.evolve(state, statement!)).toBe(state);
    const unknown = refusal(() => compliancePackDecider.decide({ type: 'SetApplicability', controlId: 'Z', applicable: true, justification: 'j' }, state, ctx));
    expect([unknown.code, unknown.reasons, unknown.status, unknown.field]).toEqual(['CONTROL_NOT_FOUND', ['pack F 1 has no control Z'], 422, 'controlId']);
  });
});
