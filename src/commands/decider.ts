import type { Actor, JsonObject } from '../events/envelope.js';

/** An event as a decider sees it: its type and (upcast, validated) data. */
export type DomainEvent<T extends string = string, D extends JsonObject = JsonObject> = { type: T; data: D };

/** What `decide` gets besides the command and state: time, actor, ids come in, never read inside. */
export type DecisionContext = { now: Date; actor: Actor };

/** An aggregate as three plain functions (STYLE.md). */
export type Decider<C, E extends DomainEvent, S> = {
  /** Stream category: streams are `<category>-<id>`. */
  category: string;
  initialState(): S;
  decide(command: C, state: S, context: DecisionContext): E[];
  evolve(state: S, event: E): S;
};

/** A refused command, carrying every reason; the API maps it to 409 (or 422) once. */
export class CommandRefused extends Error {
  readonly code: string;
  constructor(
    code: string,
    public readonly reasons: string[],
    public readonly status: 400 | 403 | 409 | 422 = 409,
    /** The input field the refusal is about, when there is one (e.g. `password`). */
    public readonly field?: string,
  ) {
    super(reasons.join('; '));
    this.name = 'CommandRefused';
    this.code = code;
  }
}

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
