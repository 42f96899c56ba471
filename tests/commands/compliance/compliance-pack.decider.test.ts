import { describe, expect, it } from 'vitest';
import { compliancePackDecider, type CompliancePackCommand, type CompliancePackEvent } from '../../../src/commands/compliance/compliance-pack.decider.js';
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
