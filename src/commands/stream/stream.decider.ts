import type { Actor, JsonObject } from '../../events/envelope.js';
import { CommandRefused, assertNever, type Decider, type DomainEvent } from '../decider.js';

export type StreamSource = { kind: 'nats'; subject: string } | { kind: 'webhook' } | { kind: 'kafka'; brokers: string[]; topic: string };
export type StreamReference = { datasetId: string; version: number; sha256: string; format: 'csv' | 'tsv' | 'json' | 'ndjson' | 'parquet' };
export type MonitoredColumn = { name: string; kind: 'numeric' | 'categorical' };
export type StreamWindowSpec = { records: number | null; seconds: number | null };
export type StreamDriftOptions = { driftShare: number; tests: Record<string, string>; thresholds: Record<string, number> };
export type StreamSettings = { name: string; description: string; reference: StreamReference; columns: MonitoredColumn[]; window: StreamWindowSpec; drift: StreamDriftOptions };

/** A window's statistics as the monitor computed them; the decider numbers the window. */
export type WindowEvaluation = {
  windowId: string;
  from: string;
  to: string;
  records: number;
  errors: number;
  closedBy: 'records' | 'time' | 'stop';
  quality: JsonObject;
  drift: JsonObject;
  datasetDrift: boolean;
  driftShare: number;
  elapsedMs: number;
  codeVersion: string;
};

export type DriftAlert = { alertId: string; severity: 'low' | 'medium' | 'high'; driftedColumns: string[]; message: string };

export type StreamCommand =
  | { type: 'CreateStream'; streamId: string; settings: StreamSettings; source: StreamSource }
  | { type: 'UpdateStream'; settings: StreamSettings }
  | { type: 'DeleteStream'; reason: string }
  | { type: 'StartStream' }
  | { type: 'StopStream'; reason: string }
  | { type: 'RecordWindow'; window: WindowEvaluation; alert: DriftAlert | null };

type Data<T> = T & JsonObject;
export type StreamEvent =
  | DomainEvent<'stream.created', Data<{ streamId: string; source: StreamSource; ownerId: string } & StreamSettings>>
  | DomainEvent<'stream.updated', Data<{ streamId: string } & StreamSettings>>
  | DomainEvent<'stream.deleted', Data<{ streamId: string; reason: string }>>
  | DomainEvent<'stream.started', Data<{ streamId: string }>>
  | DomainEvent<'stream.stopped', Data<{ streamId: string; reason: string }>>
  | DomainEvent<'stream.window-evaluated', Data<{ streamId: string; sequence: number; reference: { datasetId: string; version: number } } & WindowEvaluation>>
  | DomainEvent<'drift.alert-raised', JsonObject>;

export type StreamDefinition = { streamId: string; ownerId: string; source: StreamSource } & StreamSettings;
export type StreamState = { status: 'none' } | ({ status: 'stopped' | 'started' | 'deleted'; windows: number } & StreamDefinition);

export const dataStreamId = (streamId: string) => `datastream-${streamId}`;

type Existing = Exclude<StreamState, { status: 'none' }>;

function existing(state: StreamState): Existing {
  if (state.status === 'none') throw new CommandRefused('STREAM_NOT_FOUND', ['no such stream'], 422);
  if (state.status === 'deleted') throw new CommandRefused('STREAM_DELETED', ['the stream was deleted'], 409);
  return state;
}

/** Owners change their streams; administrators and RAIA's own processes may too. */
function requireOwner(stream: Existing, actor: Actor): void {
  if (actor.kind !== 'user' || actor.id === stream.ownerId || actor.role === 'admin') return;
  throw new CommandRefused('NOT_STREAM_OWNER', ["only the stream's owner or an administrator may do this"], 403);
}

function checkSettings(settings: StreamSettings): void {
  if (settings.window.records === null && settings.window.seconds === null) throw new CommandRefused('WINDOW_UNBOUNDED', ['a window needs a record count, a duration, or both'], 400, 'window');
  const names = new Set(settings.columns.map((c) => c.name));
  if (names.size !== settings.columns.length) throw new CommandRefused('DUPLICATE_COLUMN', ['each monitored column is named once'], 400, 'columns');
  for (const column of [...Object.keys(settings.drift.tests), ...Object.keys(settings.drift.thresholds)]) {
    if (!names.has(column)) throw new CommandRefused('UNKNOWN_COLUMN', [`${column} is not a monitored column`], 400, 'drift');
  }
}

const json = <T extends object>(value: T): T & JsonObject => JSON.parse(JSON.stringify(value)) as T & JsonObject;

/** A data stream: its definition, its running state, and the windows its monitor evaluated. */
export const streamDecider: Decider<StreamCommand, StreamEvent, StreamState> = {
  category: 'datastream',
  initialState: () => ({ status: 'none' }),

  decide(command, state, { actor }): StreamEvent[] {
    if (command.type === 'CreateStream') {
      if (state.status !== 'none') throw new CommandRefused('STREAM_EXISTS', ['the stream already exists']);
      checkSettings(command.settings);
      return [{ type: 'stream.created', data: json({ streamId: command.streamId, ...command.settings, source: command.source, ownerId: actor.id }) }];
    }
    const stream = existing(state);
    switch (command.type) {
      case 'UpdateStream':
        requireOwner(stream, actor);
        checkSettings(command.settings);
        return [{ type: 'stream.updated', data: json({ streamId: stream.streamId, ...command.settings }) }];
      case 'DeleteStream':
        requireOwner(stream, actor);
        return [{ type: 'stream.deleted', data: { streamId: stream.streamId, reason: command.reason } }];
      case 'StartStream':
        requireOwner(stream, actor);
        if (stream.status === 'started') throw new CommandRefused('STREAM_STARTED', ['the stream is already started']);
        return [{ type: 'stream.started', data: { streamId: stream.streamId } }];
      case 'StopStream':
        requireOwner(stream, actor);
        if (stream.status === 'stopped') throw new CommandRefused('STREAM_STOPPED', ['the stream is not started']);
        return [{ type: 'stream.stopped', data: { streamId: stream.streamId, reason: command.reason } }];
      case 'RecordWindow': {
        const reference = { datasetId: stream.reference.datasetId, version: stream.reference.version };
        const window = json({ streamId: stream.streamId, sequence: stream.windows + 1, reference, ...command.window });
        if (!command.alert) return [{ type: 'stream.window-evaluated', data: window }];
        const { alertId, severity, driftedColumns, message } = command.alert;
        // The alert is the one drift alerts are listed by (GET /drift/alerts); its report is the window.
        const alert = { alertId, reportId: command.window.windowId, modelId: null, datasetId: reference.datasetId, severity, driftedColumns, driftShare: command.window.driftShare, message };
        return [{ type: 'stream.window-evaluated', data: window }, { type: 'drift.alert-raised', data: alert }];
      }
      default:
        return assertNever(command);
    }
  },

  evolve(state, event): StreamState {
    if (event.type === 'stream.created') {
      const { streamId, ownerId, source, name, description, reference, columns, window, drift } = event.data;
      return { status: 'stopped', windows: 0, streamId, ownerId, source, name, description, reference, columns, window, drift };
    }
    if (state.status === 'none') return state;
    switch (event.type) {
      case 'stream.updated': {
        const { name, description, reference, columns, window, drift } = event.data;
        return { ...state, name, description, reference, columns, window, drift };
      }
      case 'stream.deleted':
        return { ...state, status: 'deleted' };
      case 'stream.started':
        return { ...state, status: 'started' };
      case 'stream.stopped':
        return { ...state, status: 'stopped' };
      case 'stream.window-evaluated':
        return { ...state, windows: state.windows + 1 };
      case 'drift.alert-raised':
        return state;
      default:
        return assertNever(event);
    }
  },
};
