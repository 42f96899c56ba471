import { v7 } from 'uuid';
import type { Actor, StoredEvent } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import { WrongExpectedVersion, type EventStore } from '../events/event-store.js';
import { activeTraceparent, inSpan } from '../platform/tracing.js';
import type { Decider, DomainEvent } from './decider.js';
import { PreconditionFailed, preconditionHolds, type StreamPrecondition } from './stream-precondition.js';
import type { StreamStateCache } from './stream-state-cache.js';

export type CommandMetadata = {
  actor: Actor;
  correlationId?: string;
  causationId?: string;
  /** Deterministic ids for the produced events (processors); fresh UUID v7s otherwise. */
  eventIds?: string[];
  now?: Date;
  /** The caller's assertion about the stream (If-Match); re-checked on every attempt, so a race fails it rather than overwriting. */
  precondition?: StreamPrecondition;
  /**
   * The stream as the caller has just read it (all of it, in order): the first attempt decides on
   * it instead of reading it again. Appending still expects the version it ends at, so a write in
   * between fails the append and the next attempt reads the stream afresh.
   */
  stream?: readonly StoredEvent[];
};

export type CommandResult<S> = { streamId: string; position: number; streamVersion: number; events: { id: string; type: string; position: number }[]; state: S };

const MAX_ATTEMPTS = 6;

/** `streamStates`: states this process's commands left streams in, decided on instead of a replay (stream-state-cache.ts). */
export type CommandDeps = { store: EventStore; catalogue: EventCatalogue; streamStates?: StreamStateCache };

/**
 * Loads a stream, folds it into state, decides, and appends with the version it read.
 * A concurrent writer makes the append fail with WrongExpectedVersion; since `decide` is pure
 * the handler simply re-reads and decides again, a bounded number of times.
 */
export async function handleCommand<C, E extends DomainEvent, S>(
  deps: CommandDeps,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  meta: CommandMetadata,
): Promise<CommandResult<S>> {
  const type = (command as { type?: unknown }).type;
  return inSpan(`command ${typeof type === 'string' ? type : 'unknown'}`, { attributes: { 'raia.stream.id': streamId } }, () => decideAndAppend(deps, decider, streamId, command, meta));
}

async function decideAndAppend<C, E extends DomainEvent, S>(
  deps: CommandDeps,
  decider: Decider<C, E, S>,
  streamId: string,
  command: C,
  meta: CommandMetadata,
): Promise<CommandResult<S>> {
  // The trace of the operation that decided, kept with its events so that whatever they cause
  // later (the relay's publish, processors) links back to it. Absent when nothing is traced.
  const traceparent = activeTraceparent();
  const kept = deps.streamStates;
  // A state kept from this process's last command on the stream is trusted only for a decision that
  // appends with its version (a write in between fails that append). Anything else decided on it (a
  // refusal, nothing to do, a failed precondition) is decided again on the stream as read.
  let mayUseKept = !meta.stream;
  for (let attempt = 1; ; attempt++) {
    const cached = mayUseKept ? kept?.get(decider, streamId) : undefined;
    mayUseKept = false;
    let state: S;
    let version: number | null;
    // Whether the state may be kept after this command's append (it holds no classified field).
    let keepable: boolean;
    if (cached) {
      ({ state, version } = cached);
      keepable = true;
    } else {
      const stored = attempt === 1 && meta.stream ? meta.stream : await deps.store.readStream(streamId);
      state = decider.initialState();
      for (const e of stored) state = decider.evolve(state, deps.catalogue.upcast(e) as unknown as E);
      version = stored.length === 0 ? null : stored[stored.length - 1]!.streamVersion;
      keepable = kept !== undefined && (version === null || kept.set(decider, streamId, state, version, stored));
    }
    /** Not decided on a kept state after all: the same attempt again, on the stream as read. */
    const decideOnTheStream = () => {
      kept!.delete(decider, streamId);
      attempt--;
    };
    if (meta.precondition && !preconditionHolds(meta.precondition, version)) {
      if (cached) {
        decideOnTheStream();
        continue;
      }
      throw new PreconditionFailed(streamId, version);
    }
    let decided: E[];
    try {
      decided = decider.decide(command, state, { now: meta.now ?? new Date(), actor: meta.actor });
    } catch (error) {
      if (cached) {
        decideOnTheStream();
        continue;
      }
      throw error;
    }
    if (decided.length === 0 && cached) {
      decideOnTheStream();
      continue;
    }
    if (decided.length === 0) return { streamId, position: 0, streamVersion: version ?? -1, events: [], state };
    const newEvents = decided.map((e, i) => {
      const { schemaVersion, data } = deps.catalogue.validate(e.type, e.data);
      return {
        id: meta.eventIds?.[i] ?? v7(),
        type: e.type,
        schemaVersion,
        data,
        actor: meta.actor,
        correlationId: meta.correlationId,
        causationId: meta.causationId,
        ...(traceparent ? { metadata: { traceparent } } : {}),
      };
    });
    try {
      const result = await deps.store.append(streamId, newEvents, { expectedVersion: version ?? 'no_stream' });
      if (kept) {
        // The stored events, as a replay would fold them; an idempotent retry's may not be the stream's last.
        let next = state;
        for (const e of result.events) next = decider.evolve(next, deps.catalogue.upcast(e) as unknown as E);
        if (!keepable || result.duplicate) kept.delete(decider, streamId);
        else kept.set(decider, streamId, next, result.nextExpectedVersion, result.events);
      }
      for (const e of decided) state = decider.evolve(state, e);
      return {
        streamId,
        position: result.position,
        streamVersion: result.nextExpectedVersion,
        events: result.events.map((e) => ({ id: e.id, type: e.type, position: e.position })),
        state,
      };
    } catch (error) {
      kept?.delete(decider, streamId);
      if (!(error instanceof WrongExpectedVersion) || attempt >= MAX_ATTEMPTS) throw error;
      // Jittered backoff, so writers racing on one stream do not collide again in lockstep.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 ** attempt));
    }
  }
}
