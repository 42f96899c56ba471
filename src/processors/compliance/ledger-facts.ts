import type { Control } from '../../events/catalogue/compliance.events.js';
import type { JsonObject, StoredEvent } from '../../events/envelope.js';

/**
 * The ledger (up to one position) indexed for compliance evaluation: one pass over the events,
 * grouped by model, model version, dataset and type, with the packs, statements of applicability
 * and incidents folded. Pure: whoever reads the events decides the position.
 */
export type VersionFacts = {
  version: number;
  status: 'draft' | 'validated' | 'approved' | 'deployed' | 'retired';
  added: StoredEvent;
  trainingDatasetId: string | null;
  /** Events naming this version (data.modelId and data.version or data.modelVersion). */
  events: StoredEvent[];
};

export type ModelField = 'name' | 'description' | 'intendedUse';

export type ModelFacts = {
  modelId: string;
  type: string;
  ownerId: string;
  riskTier: string;
  deleted: boolean;
  registered: StoredEvent;
  /** Descriptive fields as of the position, each with the event that last set it. */
  fields: Record<ModelField | 'riskTier', { value: string; event: StoredEvent }>;
  versions: Map<number, VersionFacts>;
  /** Every event naming the model (data.modelId), in position order. */
  events: StoredEvent[];
};

export type IncidentFacts = {
  incidentId: string;
  modelId: string;
  modelVersion: number | null;
  severity: string;
  category: string;
  awareAt: Date;
  deadline: Date;
  authorityNotifiedAt: Date | null;
  authorityReference: string | null;
  closed: boolean;
  events: StoredEvent[];
};

export type PackFacts = {
  packId: string;
  framework: string;
  version: string;
  title: string;
  origin: 'shipped' | 'custom';
  controls: Control[];
  events: StoredEvent[];
};

export type LedgerFacts = {
  /** The last position the facts include. */
  position: number;
  models: Map<string, ModelFacts>;
  byDataset: Map<string, StoredEvent[]>;
  byType: Map<string, StoredEvent[]>;
  incidents: Map<string, IncidentFacts>;
  packs: Map<string, PackFacts>;
  /** Statements of applicability by `packId/controlId`, in position order. */
  applicability: Map<string, StoredEvent[]>;
};

export const applicabilityKey = (packId: string, controlId: string) => `${packId}/${controlId}`;

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

const str = (data: JsonObject, key: string): string | null => (typeof data[key] === 'string' ? (data[key] as string) : null);
const num = (data: JsonObject, key: string): number | null => (typeof data[key] === 'number' ? (data[key] as number) : null);

const VERSION_STATUS_BY_TYPE: Record<string, VersionFacts['status']> = {
  'model.version-validated': 'validated',
  'model.version-approved': 'approved',
  'model.version-deployed': 'deployed',
  'model.version-retired': 'retired',
};

/** Indexes events (upcast, in position order) up to `position`. */
export function indexLedger(events: StoredEvent[], position: number): LedgerFacts {
  const facts: LedgerFacts = { position, models: new Map(), byDataset: new Map(), byType: new Map(), incidents: new Map(), packs: new Map(), applicability: new Map() };
  for (const e of events) {
    if (e.position > position) break;
    const d = e.data;
    push(facts.byType, e.type, e);
    const datasetId = str(d, 'datasetId');
    if (datasetId) push(facts.byDataset, datasetId, e);

    if (e.type === 'model.registered') {
      const field = (key: string) => ({ value: str(d, key) ?? '', event: e });
      facts.models.set(d.modelId as string, {
        modelId: d.modelId as string,
        type: str(d, 'type') ?? '',
        ownerId: str(d, 'ownerId') ?? '',
        riskTier: str(d, 'riskTier') ?? '',
        deleted: false,
        registered: e,
        fields: { name: field('name'), description: field('description'), intendedUse: field('intendedUse'), riskTier: field('riskTier') },
        versions: new Map(),
        events: [],
      });
    }
    const modelId = str(d, 'modelId');
    const model = modelId ? facts.models.get(modelId) : undefined;
    if (model) {
      model.events.push(e);
      const versionNumber = e.type.startsWith('model.') ? num(d, 'version') : num(d, 'modelVersion');
      if (e.type === 'model.version-added' && versionNumber !== null) {
        const training = d.trainingData as { datasetId?: string } | null;
        model.versions.set(versionNumber, { version: versionNumber, status: 'draft', added: e, trainingDatasetId: training?.datasetId ?? null, events: [] });
      }
      const version = versionNumber !== null ? model.versions.get(versionNumber) : undefined;
      if (version) {
        version.events.push(e);
        const status = VERSION_STATUS_BY_TYPE[e.type];
        if (status) version.status = status;
      }
      if (e.type === 'model.updated') {
        const changes = d.changes as Record<string, unknown>;
        for (const key of ['name', 'description', 'intendedUse', 'riskTier'] as const) {
          if (typeof changes[key] === 'string') model.fields[key] = { value: changes[key], event: e };
        }
        model.riskTier = model.fields.riskTier.value;
      }
      if (e.type === 'model.deleted') model.deleted = true;
    }

    if (e.type === 'incident.reported') {
      facts.incidents.set(d.incidentId as string, {
        incidentId: d.incidentId as string,
        modelId: d.modelId as string,
        modelVersion: num(d, 'modelVersion'),
        severity: str(d, 'severity') ?? '',
        category: str(d, 'category') ?? '',
        awareAt: new Date(d.awareAt as string),
        deadline: new Date(d.deadline as string),
        authorityNotifiedAt: null,
        authorityReference: null,
        closed: false,
        events: [e],
      });
    } else if (e.type === 'incident.updated' || e.type === 'incident.closed') {
      const incident = facts.incidents.get(d.incidentId as string);
      if (incident) {
        incident.events.push(e);
        if (e.type === 'incident.closed') incident.closed = true;
        else {
          incident.severity = str(d, 'severity') ?? incident.severity;
          incident.category = str(d, 'category') ?? incident.category;
          if (str(d, 'awareAt')) incident.awareAt = new Date(d.awareAt as string);
          incident.deadline = new Date(d.deadline as string);
          if (str(d, 'authorityNotifiedAt')) incident.authorityNotifiedAt = new Date(d.authorityNotifiedAt as string);
          incident.authorityReference = str(d, 'authorityReference') ?? incident.authorityReference;
        }
      }
    }

    if (e.type === 'compliance.pack-published') {
      const { packId, framework, version, title, origin, controls } = d as unknown as Omit<PackFacts, 'events'>;
      facts.packs.set(packId, { packId, framework, version, title, origin, controls: [...controls], events: [e] });
    } else if (e.type === 'compliance.control-defined') {
      const pack = facts.packs.get(d.packId as string);
      const control = d.control as unknown as Control;
      if (pack) {
        pack.events.push(e);
        const at = pack.controls.findIndex((c) => c.id === control.id);
        if (at === -1) pack.controls.push(control);
        else pack.controls[at] = control;
      }
    } else if (e.type === 'compliance.applicability-set') {
      push(facts.applicability, applicabilityKey(d.packId as string, d.controlId as string), e);
      facts.packs.get(d.packId as string)?.events.push(e);
    }
  }
  return facts;
}

/** The version a model is judged by when none is named: the deployed one, else the newest not retired, else the newest. */
export function currentVersion(model: ModelFacts): VersionFacts | null {
  const versions = [...model.versions.values()].sort((a, b) => b.version - a.version);
  return versions.find((v) => v.status === 'deployed') ?? versions.find((v) => v.status !== 'retired') ?? versions[0] ?? null;
}
