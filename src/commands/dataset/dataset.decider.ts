import type { Actor, JsonObject } from '../../events/envelope.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type ColumnDescription = { name: string; type: string; nullable: boolean; hints: string[] };
export type DatasetVersionSpec = { blob: { sha256: string; size: number }; format: string; filename: string | null; rowCount: number; columns: ColumnDescription[]; personal: { columns: string[]; subjectColumn: string } | null };

export type DatasetCommand =
  | { type: 'RegisterDataset'; datasetId: string; name: string; description: string; tags: string[] }
  | { type: 'AddDatasetVersion'; spec: DatasetVersionSpec }
  | { type: 'RecordProfile'; version: number; profile: JsonObject; qualityScore: number; issues: JsonObject[]; elapsedMs: number; codeVersion: string }
  | { type: 'DefineQualityRules'; ruleSetId: string; name: string; rules: JsonObject[] }
  | { type: 'RecordValidation'; version: number; ruleSetId: string | null; results: JsonObject[]; passed: boolean; elapsedMs: number }
  | { type: 'DeleteDataset'; reason: string; blobsRemoved: string[] };

type Data<T> = T & JsonObject;
export type DatasetEvent =
  | DomainEvent<'dataset.registered', Data<{ datasetId: string; name: string; description: string; tags: string[]; ownerId: string }>>
  | DomainEvent<'dataset.version-uploaded', Data<{ datasetId: string; version: number } & DatasetVersionSpec>>
  | DomainEvent<'dataset.profiled', Data<{ datasetId: string; version: number; profile: JsonObject; qualityScore: number; issues: JsonObject[]; elapsedMs: number; codeVersion: string }>>
  | DomainEvent<'quality.rules-defined', Data<{ ruleSetId: string; datasetId: string; name: string; rules: JsonObject[] }>>
  | DomainEvent<'quality.validated', Data<{ datasetId: string; version: number; ruleSetId: string | null; results: JsonObject[]; passed: boolean; elapsedMs: number }>>
  | DomainEvent<'dataset.deleted', Data<{ datasetId: string; reason: string; blobsRemoved: string[] }>>;

export type DatasetState =
  | { status: 'none' }
  | { status: 'active' | 'deleted'; datasetId: string; ownerId: string; versions: { version: number; sha256: string }[]; ruleSets: string[] };

export const datasetStreamId = (datasetId: string) => `dataset-${datasetId}`;

type Existing = Exclude<DatasetState, { status: 'none' }>;

function active(state: DatasetState): Existing {
  if (state.status === 'none') throw new CommandRefused('DATASET_NOT_FOUND', ['no such dataset'], 422);
  if (state.status === 'deleted') throw new CommandRefused('DATASET_DELETED', ['the dataset was deleted'], 409);
  return state;
}

/** Owners change their datasets; administrators and RAIA's own processes may too. */
function requireOwner(dataset: Existing, actor: Actor): void {
  if (actor.kind !== 'user' || actor.id === dataset.ownerId || actor.role === 'admin') return;
  throw new CommandRefused('NOT_DATASET_OWNER', ["only the dataset's owner or an administrator may do this"], 403);
}

function requireVersion(dataset: Existing, version: number): void {
  if (!dataset.versions.some((v) => v.version === version)) throw new CommandRefused('VERSION_NOT_FOUND', [`the dataset has no version ${version}`], 422, 'version');
}

const json = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/** A dataset: its versions (files by hash, never rows), profiles, quality rules and checks. */
export const datasetDecider: Decider<DatasetCommand, DatasetEvent, DatasetState> = {
  category: 'dataset',
  initialState: () => ({ status: 'none' }),

  decide(command, state, { actor }): DatasetEvent[] {
    if (command.type === 'RegisterDataset') {
      if (state.status !== 'none') throw new CommandRefused('DATASET_EXISTS', ['the dataset already exists']);
      const { type: _type, ...data } = command;
      return [{ type: 'dataset.registered', data: json({ ...data, ownerId: actor.id }) }];
    }
    const dataset = active(state);
    switch (command.type) {
      case 'AddDatasetVersion':
        requireOwner(dataset, actor);
        return [{ type: 'dataset.version-uploaded', data: json({ datasetId: dataset.datasetId, version: dataset.versions.length + 1, ...command.spec }) }];
      case 'RecordProfile': {
        requireVersion(dataset, command.version);
        const { type: _type, ...data } = command;
        return [{ type: 'dataset.profiled', data: json({ datasetId: dataset.datasetId, ...data }) }];
      }
      case 'DefineQualityRules':
        requireOwner(dataset, actor);
        return [{ type: 'quality.rules-defined', data: json({ ruleSetId: command.ruleSetId, datasetId: dataset.datasetId, name: command.name, rules: command.rules }) }];
      case 'RecordValidation': {
        requireVersion(dataset, command.version);
        if (command.ruleSetId && !dataset.ruleSets.includes(command.ruleSetId)) throw new CommandRefused('RULE_SET_NOT_FOUND', [`rule set ${command.ruleSetId} does not belong to this dataset`], 422, 'ruleSetId');
        const { type: _type, ...data } = command;
        return [{ type: 'quality.validated', data: json({ datasetId: dataset.datasetId, ...data }) }];
      }
      case 'DeleteDataset':
        requireOwner(dataset, actor);
        return [{ type: 'dataset.deleted', data: { datasetId: dataset.datasetId, reason: command.reason, blobsRemoved: command.blobsRemoved } }];
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): DatasetState {
    if (event.type === 'dataset.registered') return { status: 'active', datasetId: event.data.datasetId, ownerId: event.data.ownerId, versions: [], ruleSets: [] };
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'dataset.version-uploaded':
        return { ...state, versions: [...state.versions, { version: event.data.version, sha256: event.data.blob.sha256 }] };
      case 'quality.rules-defined':
        return { ...state, ruleSets: [...state.ruleSets, event.data.ruleSetId] };
      case 'dataset.deleted':
        return { ...state, status: 'deleted' };
      case 'dataset.profiled':
      case 'quality.validated':
        return state;
      default:
        return assertNever(event);
    }
  },
};
