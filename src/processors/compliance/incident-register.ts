import { ART_73_REPORTING_DAYS, isOverdue, type IncidentCategory } from '../../commands/incident/incident-deadline.js';
import type { StoredEvent } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import { discloseEvents, type PersonalDataView } from '../../events/event-disclosure.js';
import type { EventStore } from '../../events/event-store.js';
import type { PersonalDataVault } from '../../events/personal-data.js';
import { incidentStreamId } from '../../commands/incident/incident.decider.js';
import { evidenceRef, type EvidenceRef } from './control-evaluation.js';

type Deps = { store: EventStore; catalogue: EventCatalogue; vault: PersonalDataVault };

export type IncidentView = {
  incidentId: string;
  modelId: string;
  modelVersion: number | null;
  severity: string;
  category: string;
  /** As the reader may see it: in clear, pseudonymised, or `[redacted]` after erasure. */
  description: string;
  resolution: string | null;
  status: 'open' | 'closed';
  awareAt: string;
  deadline: string;
  reportingDays: number;
  authorityNotifiedAt: string | null;
  authorityReference: string | null;
  overdue: boolean;
  reportedBy: string;
  reportedAt: string;
  closedAt: string | null;
  streamVersion: number;
  events: EvidenceRef[];
};

const PAGE = 10_000;

/** Folds one incident's events (disclosed for the reader) into what reads show, overdue measured at `now`. */
export function incidentView(events: StoredEvent[], now: Date): IncidentView | null {
  const first = events[0];
  if (!first || first.type !== 'incident.reported') return null;
  const d = first.data;
  const view: IncidentView = {
    incidentId: d.incidentId as string,
    modelId: d.modelId as string,
    modelVersion: (d.modelVersion as number | null) ?? null,
    severity: d.severity as string,
    category: d.category as string,
    description: String(d.description),
    resolution: null,
    status: 'open',
    awareAt: d.awareAt as string,
    deadline: d.deadline as string,
    reportingDays: ART_73_REPORTING_DAYS[d.category as IncidentCategory],
    authorityNotifiedAt: null,
    authorityReference: null,
    overdue: false,
    reportedBy: first.actor.id,
    reportedAt: first.occurredAt.toISOString(),
    closedAt: null,
    streamVersion: first.streamVersion,
    events: [],
  };
  for (const e of events) {
    view.events.push(evidenceRef(e));
    view.streamVersion = e.streamVersion;
    const u = e.data;
    if (e.type === 'incident.updated') {
      if (typeof u.severity === 'string') view.severity = u.severity;
      if (typeof u.category === 'string') view.category = u.category;
      if (u.description !== undefined) view.description = String(u.description);
      if (typeof u.awareAt === 'string') view.awareAt = u.awareAt;
      if (typeof u.authorityNotifiedAt === 'string') view.authorityNotifiedAt = u.authorityNotifiedAt;
      if (typeof u.authorityReference === 'string') view.authorityReference = u.authorityReference;
      view.deadline = u.deadline as string;
      view.reportingDays = ART_73_REPORTING_DAYS[view.category as IncidentCategory];
    } else if (e.type === 'incident.closed') {
      view.status = 'closed';
      view.resolution = String(u.resolution);
      view.closedAt = e.occurredAt.toISOString();
    }
  }
  view.overdue = isOverdue(new Date(view.deadline), view.authorityNotifiedAt ? new Date(view.authorityNotifiedAt) : null, now);
  return view;
}

export type IncidentFilter = { modelId?: string; status?: 'open' | 'closed'; overdue?: boolean };

/** Every incident, newest report first; incidents are rare, so they are read from the ledger rather than a read model. */
export async function listIncidents(deps: Deps, view: PersonalDataView, filter: IncidentFilter, now = new Date()): Promise<IncidentView[]> {
  const events: StoredEvent[] = [];
  for (let after = 0; ; ) {
    const page = await deps.store.readAll({ after, limit: PAGE, filter: { streamCategory: 'incident' } });
    events.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.position;
  }
  const disclosed = await discloseEvents(events.map((e) => deps.catalogue.upcast(e)), deps, view);
  const byStream = new Map<string, StoredEvent[]>();
  for (const e of disclosed) {
    const list = byStream.get(e.streamId) ?? [];
    list.push(e);
    byStream.set(e.streamId, list);
  }
  return [...byStream.values()]
    .map((stream) => incidentView(stream, now))
    .filter((i): i is IncidentView => i !== null)
    .filter((i) => (!filter.modelId || i.modelId === filter.modelId) && (!filter.status || i.status === filter.status) && (filter.overdue === undefined || i.overdue === filter.overdue))
    .reverse();
}

export async function readIncident(deps: Deps, incidentId: string, view: PersonalDataView, now = new Date()): Promise<IncidentView | null> {
  const events = await deps.store.readStream(incidentStreamId(incidentId));
  if (events.length === 0) return null;
  return incidentView(await discloseEvents(events.map((e) => deps.catalogue.upcast(e)), deps, view), now);
}
