import type { Control } from '../../events/catalogue/compliance.events.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import { handleCommand, type CommandMetadata } from '../command-handler.js';
import { CommandRefused } from '../decider.js';
import { compliancePackDecider, compliancePackStreamId } from './compliance-pack.decider.js';
import { packIdOf } from './shipped-packs.js';

type Deps = { store: EventStore; catalogue: EventCatalogue };

/** Evidence must name event types RAIA records, or the control could never be met: refused naming the field. */
function unknownEventTypes(catalogue: EventCatalogue, control: Control, field: string): { field: string; message: string }[] {
  const known = new Set(catalogue.types().map((d) => d.type));
  const problems: { field: string; message: string }[] = [];
  control.evidence.forEach((r, j) => {
    const at = `${field}.evidence.${j}`;
    if (r.kind === 'events') r.eventTypes.forEach((t, k) => known.has(t) || problems.push({ field: `${at}.eventTypes.${k}`, message: `unknown event type ${t}` }));
    if (r.kind === 'active') {
      if (!known.has(r.setType)) problems.push({ field: `${at}.setType`, message: `unknown event type ${r.setType}` });
      if (!known.has(r.clearType)) problems.push({ field: `${at}.clearType`, message: `unknown event type ${r.clearType}` });
    }
  });
  return problems;
}

function refuseUnknownTypes(problems: { field: string; message: string }[]): void {
  if (problems.length > 0) throw new CommandRefused('UNKNOWN_EVENT_TYPE', problems.map((p) => `${p.field}: ${p.message}`), 400, problems[0]!.field);
}

/** An administrator's own framework (or internal policy) as a pack; its id follows from framework and version, as shipped packs' do. */
export async function publishCustomPack(deps: Deps, pack: { framework: string; version: string; title: string; controls: Control[] }, meta: CommandMetadata) {
  refuseUnknownTypes(pack.controls.flatMap((c, i) => unknownEventTypes(deps.catalogue, c, `controls.${i}`)));
  const packId = packIdOf(pack.framework, pack.version);
  const result = await handleCommand(deps, compliancePackDecider, compliancePackStreamId(packId), { type: 'PublishPack', packId, origin: 'custom', ...pack }, meta);
  return { packId, ...result };
}

export async function defineControl(deps: Deps, packId: string, control: Control, meta: CommandMetadata) {
  refuseUnknownTypes(unknownEventTypes(deps.catalogue, control, 'control'));
  return handleCommand(deps, compliancePackDecider, compliancePackStreamId(packId), { type: 'DefineControl', control }, meta);
}

export async function setApplicability(deps: Deps, packId: string, statement: { controlId: string; applicable: boolean; justification: string }, meta: CommandMetadata) {
  return handleCommand(deps, compliancePackDecider, compliancePackStreamId(packId), { type: 'SetApplicability', ...statement }, meta);
}
