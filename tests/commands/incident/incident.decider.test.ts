import { describe, expect, it } from 'vitest';
import { CommandRefused } from '../../../src/commands/decider.js';
import { isOverdue, reportingDeadline } from '../../../src/commands/incident/incident-deadline.js';
import { incidentDecider, type IncidentCommand, type IncidentEvent } from '../../../src/commands/incident/incident.decider.js';

const sealed = { $pii: 'v1' as const, subject: 'incident-x', iv: 'i', ct: 'c', tag: 't' };
const actor = { kind: 'user' as const, id: 'u', role: 'risk_officer' };
const now = new Date('2025-06-01T12:00:00Z');
const report: IncidentCommand = { type: 'ReportIncident', incidentId: 'x', modelId: 'm', modelVersion: 1, severity: 'high', category: 'serious-incident', description: sealed, awareAt: new Date('2025-05-20T08:30:00Z') };

const given = (events: IncidentEvent[]) => events.reduce(incidentDecider.evolve, incidentDecider.initialState());
const when = (events: IncidentEvent[], command: IncidentCommand) => incidentDecider.decide(command, given(events), { now, actor });

describe('incident decider and Art. 73 deadlines', () => {
  it('deadlines: 15 days, 2 days for widespread infringement or critical infrastructure, 10 days for a death', () => {
    const aware = new Date('2025-02-20T08:30:00Z');
    expect(reportingDeadline(aware, 'serious-incident').toISOString()).toBe('2025-03-07T08:30:00.000Z'); // 2025 is not a leap year: 20 Feb + 15 days
    expect(reportingDeadline(aware, 'widespread-infringement').toISOString()).toBe('2025-02-22T08:30:00.000Z');
    expect(reportingDeadline(aware, 'critical-infrastructure').toISOString()).toBe('2025-02-22T08:30:00.000Z');
    expect(reportingDeadline(aware, 'death').toISOString()).toBe('2025-03-02T08:30:00.000Z');
    const deadline = new Date('2025-03-07T08:30:00Z');
    expect(isOverdue(deadline, null, new Date('2025-03-07T08:30:00Z'))).toBe(false);
    expect(isOverdue(deadline, null, new Date('2025-03-07T08:30:01Z'))).toBe(true);
    expect(isOverdue(deadline, new Date('2025-03-01T00:00:00Z'), new Date('2026-01-01T00:00:00Z'))).toBe(false);
    expect(isOverdue(deadline, new Date('2025-03-08T00:00:00Z'), new Date('2026-01-01T00:00:00Z'))).toBe(true);
  });

  it('reports with the deadline; updates recompute it; closed incidents take no change', () => {
    const [reported] = when([], report);
    expect(reported).toMatchObject({ type: 'incident.reported', data: { awareAt: '2025-05-20T08:30:00.000Z', deadline: '2025-06-04T08:30:00.000Z', description: sealed } });
    const [updated] = when([reported!], { type: 'UpdateIncident', category: 'death' });
    expect(updated).toMatchObject({ type: 'incident.updated', data: { category: 'death', deadline: '2025-05-30T08:30:00.000Z' } });
    expect(when([reported!], { type: 'UpdateIncident' })).toEqual([]);
    const [closed] = when([reported!, updated!], { type: 'CloseIncident', resolution: sealed });
    expect(() => when([reported!, updated!, closed!], { type: 'UpdateIncident', severity: 'low' })).toThrow(expect.objectContaining({ code: 'INCIDENT_CLOSED' }));
  });

  it('refuses awareness or notification in the future, naming the field, and a second report', () => {
    const future = new Date(now.getTime() + 1000);
    expect(() => when([], { ...report, awareAt: future } as IncidentCommand)).toThrow(expect.objectContaining({ code: 'IN_THE_FUTURE', field: 'awareAt', status: 400 }));
    const [reported] = when([], report);
    expect(() => when([reported!], { type: 'UpdateIncident', authorityNotifiedAt: future })).toThrow(expect.objectContaining({ field: 'authorityNotifiedAt' }));
    expect(() => when([reported!], report)).toThrow(CommandRefused);
  });
});
