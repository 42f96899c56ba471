import type { StoredEvent } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import { hasClassifiedFields } from '../events/event-disclosure.js';
import type { Decider, DomainEvent } from './decider.js';

type Entry = { state: unknown; version: number };

/**
 * The states this process's commands left streams in, per decider, at the version each ends at:
 * the next command on such a stream decides on it instead of replaying the stream.
 *
 * A kept state may be behind (another process appended since), never wrong for its version: it is
 * set from a full replay, or from the state a command decided on evolved by the very events that
 * command appended with that state's version as the expected one. Behind is harmless because
 * `handleCommand` trusts a kept state only for a decision that then appends with its version: a
 * write in between fails that append, and a refusal, a no-op or a failed precondition on a kept
 * state is decided again on the stream as read (command-handler.ts).
 *
 * Streams with an event holding personal or credential fields are never kept: erasing a subject
 * destroys its key so that a replay no longer shows its data, and a kept state would still hold it.
 */
export class StreamStateCache {
  private readonly entries = new Map<string, Entry>();
  private readonly deciderIds = new WeakMap<object, number>();

  constructor(
    private readonly catalogue: EventCatalogue,
    private readonly maxEntries = 10_000,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The kept state of the stream for this decider, if any (and marks it recently used). */
  get<S>(decider: Decider<unknown, DomainEvent, S>, streamId: string): { state: S; version: number } | undefined {
    const key = this.keyOf(decider, streamId);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry as { state: S; version: number };
  }

  /**
   * Keeps `state` as the stream's at `version`, unless one of `events` holds classified fields:
   * `events` are all it was folded from, or those just appended to a state this cache kept.
   * Answers whether it was kept.
   */
  set<S>(decider: Decider<unknown, DomainEvent, S>, streamId: string, state: S, version: number, events: readonly StoredEvent[]): boolean {
    const key = this.keyOf(decider, streamId);
    this.entries.delete(key);
    if (!events.every((e) => this.isPlain(e))) return false;
    this.entries.set(key, { state, version });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return true;
  }

  delete(decider: Decider<unknown, DomainEvent, unknown>, streamId: string): void {
    this.entries.delete(this.keyOf(decider, streamId));
  }

  /** A type the catalogue knows, declaring no classified field (disclosure's own test, memoised there). */
  private isPlain(event: StoredEvent): boolean {
    return this.catalogue.definition(event.type, event.schemaVersion) !== undefined && !hasClassifiedFields(this.catalogue, event);
  }

  private keyOf(decider: object, streamId: string): string {
    let id = this.deciderIds.get(decider);
    if (id === undefined) {
      id = nextDeciderId++;
      this.deciderIds.set(decider, id);
    }
    return `${id}:${streamId}`;
  }
}

let nextDeciderId = 1;
