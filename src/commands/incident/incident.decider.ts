import type { INCIDENT_SEVERITIES } from '../../events/catalogue/incident.events.js';
import type { JsonObject } from '../../events/envelope.js';
import type { SealedField } from '../../events/personal-data.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';
import { reportingDeadline, type IncidentCategory } from './incident-deadline.js';

export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

/** Personal text arrives sealed (incident-commands.ts seals it under the incident's subject key). */
export type IncidentCommand =
  | { type: 'ReportIncident'; incidentId: string; modelId: string; modelVersion: number | null; severity: IncidentSeverity; category: IncidentCategory; description: SealedField; awareAt: Date }
  | {
      type: 'UpdateIncident';
      severity?: IncidentSeverity;
      category?: IncidentCategory;
      description?: SealedField;
      awareAt?: Date;
      authorityNotifiedAt?: Date;
      authorityReference?: string;
    }
  | { type: 'CloseIncident'; resolution: SealedField };

type Data<T> = T & JsonObject;
type Changes = { severity?: IncidentSeverity; category?: IncidentCategory; description?: SealedField; awareAt?: string; authorityNotifiedAt?: string; authorityReference?: string };
export type IncidentEvent =
  | DomainEvent<'incident.reported', Data<{ incidentId: string; modelId: string; modelVersion: number | null; severity: IncidentSeverity; category: IncidentCategory; description: SealedField; awareAt: string; deadline: string }>>
  | DomainEvent<'incident.updated', Data<{ incidentId: string; deadline: string } & Changes>>
  | DomainEvent<'incident.closed', Data<{ incidentId: string; resolution: SealedField }>>;

export type IncidentState =
  | { status: 'none' }
  | { status: 'open' | 'closed'; incidentId: string; modelId: string; category: IncidentCategory; awareAt: Date; authorityNotifiedAt: Date | null };

export const incidentStreamId = (incidentId: string) => `incident-${incidentId}`;
/** The privacy subject an incident's free text is sealed under: erasing it shreds that text alone. */
export const incidentSubjectId = (incidentId: string) => `incident-${incidentId}`;

function notInFuture(value: Date | undefined, now: Date, field: string): void {
  if (value && value.getTime() > now.getTime()) throw new CommandRefused('IN_THE_FUTURE', [`${field} is in the future`], 400, field);
}

/** A serious incident (EU AI Act Art. 73): reported, updated (incl. the authority's notification), closed. */
export const incidentDecider: Decider<IncidentCommand, IncidentEvent, IncidentState> = {
  category: 'incident',
  initialState: () => ({ status: 'none' }),

  decide(command, state, { now }): IncidentEvent[] {
    if (command.type === 'ReportIncident') {
      if (state.status !== 'none') throw new CommandRefused('INCIDENT_EXISTS', ['the incident is already reported']);
      notInFuture(command.awareAt, now, 'awareAt');
      const { type: _type, awareAt, ...rest } = command;
      return [{ type: 'incident.reported', data: { ...rest, awareAt: awareAt.toISOString(), deadline: reportingDeadline(awareAt, command.category).toISOString() } }];
    }
    if (state.status === 'none') throw new CommandRefused('INCIDENT_NOT_FOUND', ['no such incident'], 422);
    if (state.status === 'closed') throw new CommandRefused('INCIDENT_CLOSED', ['the incident is closed']);
    switch (command.type) {
      case 'UpdateIncident': {
        notInFuture(command.awareAt, now, 'awareAt');
        notInFuture(command.authorityNotifiedAt, now, 'authorityNotifiedAt');
        const { type: _type, awareAt, authorityNotifiedAt, ...rest } = command;
        const changes: Changes = JSON.parse(JSON.stringify(rest)) as Changes;
        if (awareAt) changes.awareAt = awareAt.toISOString();
        if (authorityNotifiedAt) changes.authorityNotifiedAt = authorityNotifiedAt.toISOString();
        if (Object.keys(changes).length === 0) return [];
        const deadline = reportingDeadline(awareAt ?? state.awareAt, command.category ?? state.category);
        return [{ type: 'incident.updated', data: { incidentId: state.incidentId, ...changes, deadline: deadline.toISOString() } as Data<{ incidentId: string; deadline: string } & Changes> }];
      }
      case 'CloseIncident':
        return [{ type: 'incident.closed', data: { incidentId: state.incidentId, resolution: command.resolution } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): IncidentState {
    switch (event.type) {
      case 'incident.reported':
        return { status: 'open', incidentId: event.data.incidentId, modelId: event.data.modelId, category: event.data.category, awareAt: new Date(event.data.awareAt), authorityNotifiedAt: null };
      case 'incident.updated':
        if (state.status === 'none') return state;
        return {
          ...state,
          category: event.data.category ?? state.category,
          awareAt: event.data.awareAt ? new Date(event.data.awareAt) : state.awareAt,
          authorityNotifiedAt: event.data.authorityNotifiedAt ? new Date(event.data.authorityNotifiedAt) : state.authorityNotifiedAt,
        };
      case 'incident.closed':
        return state.status === 'none' ? state : { ...state, status: 'closed' };
      default:
        return assertNever(event);
    }
  },
};
