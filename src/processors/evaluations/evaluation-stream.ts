import { v7 } from 'uuid';
import { evaluationDecider, evaluationStreamId, unitKey, type EvaluationCommand, type EvaluationEvent, type EvaluationState, type ItemScored } from '../../commands/evaluation/evaluation.decider.js';
import type { Actor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import { WrongExpectedVersion, type EventStore } from '../../events/event-store.js';

/**
 * One evaluation's stream held in memory by the run that writes most of it: commands are decided
 * on the folded state and appended with the version it was read at, one at a time; a writer
 * elsewhere (a stop from the API) makes the append fail, and the stream is read again. This keeps
 * a run of n items at n appends instead of the n reads of a growing stream `handleCommand` would do.
 */
export class EvaluationStream {
  state: EvaluationState = evaluationDecider.initialState();
  /** Every scored unit's result, by unit key (the aggregates are computed from these). */
  readonly results = new Map<string, ItemScored>();
  private version: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly deps: { store: EventStore; catalogue: EventCatalogue },
    readonly evaluationId: string,
  ) {}

  get streamId(): string {
    return evaluationStreamId(this.evaluationId);
  }

  async load(): Promise<this> {
    const stored = await this.deps.store.readStream(this.streamId);
    let state = evaluationDecider.initialState();
    this.results.clear();
    for (const s of stored) {
      const e = this.deps.catalogue.upcast(s) as unknown as EvaluationEvent;
      state = evaluationDecider.evolve(state, e);
      this.keep(e);
    }
    this.state = state;
    this.version = stored.at(-1)?.streamVersion ?? null;
    return this;
  }

  private keep(event: EvaluationEvent): void {
    if (event.type === 'evaluation.item-scored') this.results.set(unitKey(event.data), event.data);
  }

  /** Decides and appends `command` (serialised with the other records of this stream); the ids are the events' own when given. */
  record(command: EvaluationCommand, meta: { actor: Actor; causationId?: string; correlationId?: string; eventIds?: string[] }): Promise<{ position: number; events: number }> {
    const next = this.queue.then(() => this.decideAndAppend(command, meta));
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async decideAndAppend(command: EvaluationCommand, meta: { actor: Actor; causationId?: string; correlationId?: string; eventIds?: string[] }): Promise<{ position: number; events: number }> {
    for (let attempt = 1; ; attempt++) {
      const decided = evaluationDecider.decide(command, this.state, { now: new Date(), actor: meta.actor });
      if (decided.length === 0) return { position: 0, events: 0 };
      const events = decided.map((e, i) => {
        const { schemaVersion, data } = this.deps.catalogue.validate(e.type, e.data);
        return { id: meta.eventIds?.[i] ?? v7(), type: e.type, schemaVersion, data, actor: meta.actor, correlationId: meta.correlationId, causationId: meta.causationId };
      });
      try {
        const appended = await this.deps.store.append(this.streamId, events, { expectedVersion: this.version ?? 'no_stream' });
        for (const e of decided) {
          this.state = evaluationDecider.evolve(this.state, e);
          this.keep(e);
        }
        this.version = appended.nextExpectedVersion;
        return { position: appended.position, events: decided.length };
      } catch (error) {
        if (!(error instanceof WrongExpectedVersion) || attempt >= 6) throw error;
        await this.load();
      }
    }
  }
}
