import type { Control } from '../../events/catalogue/compliance.events.js';
import type { JsonObject } from '../../events/envelope.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type PackOrigin = 'shipped' | 'custom';
export type PackHeader = { packId: string; framework: string; version: string; title: string; origin: PackOrigin };

export type CompliancePackCommand =
  | ({ type: 'PublishPack'; controls: Control[] } & PackHeader)
  | { type: 'DefineControl'; control: Control }
  | { type: 'SetApplicability'; controlId: string; applicable: boolean; justification: string };

type Data<T> = T & JsonObject;
export type CompliancePackEvent =
  | DomainEvent<'compliance.pack-published', Data<PackHeader & { controls: Control[] }>>
  | DomainEvent<'compliance.control-defined', Data<{ packId: string; control: Control }>>
  | DomainEvent<'compliance.applicability-set', Data<{ packId: string; controlId: string; applicable: boolean; justification: string }>>;

export type CompliancePackState = { status: 'none' } | ({ status: 'published'; controlIds: string[] } & PackHeader);

export const compliancePackStreamId = (packId: string) => `compliance-pack-${packId}`;

// Event data must be plain JSON (no undefined members); commands come from validated input.
const jsonClone = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/** Requirement ids repeated within one control (`field` names the control in the input). */
export function requirementIdProblems(control: Control, field: string): { field: string; message: string }[] {
  const seen = new Set<string>();
  return control.evidence.flatMap((r, j) => {
    const repeated = seen.has(r.id);
    seen.add(r.id);
    return repeated ? [{ field: `${field}.evidence.${j}.id`, message: `requirement ${r.id} appears twice in control ${control.id}` }] : [];
  });
}

/** Reasons a control list cannot be published: repeated control ids, repeated requirement ids within a control. */
export function controlListProblems(controls: Control[], field: string): { field: string; message: string }[] {
  const seen = new Set<string>();
  return controls.flatMap((c, i) => {
    const repeated = seen.has(c.id);
    seen.add(c.id);
    return [...(repeated ? [{ field: `${field}.${i}.id`, message: `control ${c.id} appears twice` }] : []), ...requirementIdProblems(c, `${field}.${i}`)];
  });
}

/**
 * A compliance framework version (a control pack). Shipped packs are immutable: a framework
 * change is a new pack version. Custom packs take further controls. Any pack takes statements of
 * applicability, one control at a time, each with its justification.
 */
export const compliancePackDecider: Decider<CompliancePackCommand, CompliancePackEvent, CompliancePackState> = {
  category: 'compliance',
  initialState: () => ({ status: 'none' }),

  decide(command, state): CompliancePackEvent[] {
    if (command.type === 'PublishPack') {
      if (state.status !== 'none') throw new CommandRefused('PACK_EXISTS', [`pack ${command.framework} ${command.version} is already published`]);
      const problems = controlListProblems(command.controls, 'controls');
      if (problems.length > 0) throw new CommandRefused('INVALID_CONTROLS', problems.map((p) => `${p.field}: ${p.message}`), 400, problems[0]!.field);
      const { type: _type, ...data } = command;
      return [{ type: 'compliance.pack-published', data: jsonClone(data) }];
    }
    if (state.status === 'none') throw new CommandRefused('PACK_NOT_FOUND', ['no such control pack'], 422);
    switch (command.type) {
      case 'DefineControl':
        if (state.origin === 'shipped') throw new CommandRefused('SHIPPED_PACK', [`pack ${state.framework} ${state.version} is shipped with RAIA and cannot change; publish a custom pack for your own controls`]);
        {
          const problems = requirementIdProblems(command.control, 'control');
          if (problems.length > 0) throw new CommandRefused('INVALID_CONTROLS', problems.map((p) => `${p.field}: ${p.message}`), 400, problems[0]!.field);
        }
        return [{ type: 'compliance.control-defined', data: jsonClone({ packId: state.packId, control: command.control }) }];
      case 'SetApplicability':
        if (!state.controlIds.includes(command.controlId)) throw new CommandRefused('CONTROL_NOT_FOUND', [`pack ${state.framework} ${state.version} has no control ${command.controlId}`], 422, 'controlId');
        return [{ type: 'compliance.applicability-set', data: { packId: state.packId, controlId: command.controlId, applicable: command.applicable, justification: command.justification } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): CompliancePackState {
    switch (event.type) {
      case 'compliance.pack-published': {
        const { controls, ...header } = event.data;
        return { status: 'published', ...header, controlIds: controls.map((c) => c.id) };
      }
      case 'compliance.control-defined':
        if (state.status === 'none' || state.controlIds.includes(event.data.control.id)) return state;
        return { ...state, controlIds: [...state.controlIds, event.data.control.id] };
      case 'compliance.applicability-set':
        return state;
      default:
        return assertNever(event);
    }
  },
};
