import type { z } from 'zod';
import type { JsonObject, StoredEvent } from './envelope.js';
import { InvalidEvent } from './event-store.js';
import { classifyFields, fieldPathCovers } from './field-classification.js';

/** One event type at one schema version: its shape never changes once published. */
export type EventDefinition<T extends string = string, S extends z.ZodType<JsonObject> = z.ZodType<JsonObject>> = {
  type: T;
  schemaVersion: number;
  schema: S;
  description: string;
};

/** Turns data of `type` at `fromVersion` into data of `fromVersion + 1`. */
export type Upcaster = { type: string; fromVersion: number; upcast(data: JsonObject): JsonObject };

export const defineEvent = <T extends string, S extends z.ZodType<JsonObject>>(definition: EventDefinition<T, S>) => definition;

export class UnknownEventType extends Error {
  readonly code = 'UNKNOWN_EVENT_TYPE';
  constructor(type: string, version?: number) {
    super(`unknown event type ${type}${version === undefined ? '' : ` v${version}`}`);
    this.name = 'UnknownEventType';
  }
}

/**
 * Every event type RAIA writes, each version with its schema, and the upcasters that let
 * replay read old versions as the newest one.
 */
export class EventCatalogue {
  private readonly definitions = new Map<string, Map<number, EventDefinition>>();
  private readonly upcasters = new Map<string, Upcaster>();

  register(...definitions: EventDefinition[]): this {
    for (const d of definitions) {
      const versions = this.definitions.get(d.type) ?? new Map<number, EventDefinition>();
      if (versions.has(d.schemaVersion)) throw new Error(`event ${d.type} v${d.schemaVersion} is registered twice`);
      // A sealed field nobody classified would be withheld from every reader: say so when it is written, not when it is missed.
      const { classified, sealed } = classifyFields(d.schema);
      const unclassified = sealed.find((path) => !classified.some((c) => fieldPathCovers(c.path, path)));
      if (unclassified) throw new Error(`event ${d.type} v${d.schemaVersion}: sealed field ${unclassified.join('.') || '(root)'} is marked neither personal nor credential`);
      versions.set(d.schemaVersion, d);
      this.definitions.set(d.type, versions);
    }
    return this;
  }

  registerUpcaster(upcaster: Upcaster): this {
    this.upcasters.set(`${upcaster.type}@${upcaster.fromVersion}`, upcaster);
    return this;
  }

  types(): EventDefinition[] {
    return [...this.definitions.values()].flatMap((versions) => [...versions.values()]);
  }

  /** The definition of one version of a type, if RAIA knows it. */
  definition(type: string, schemaVersion: number): EventDefinition | undefined {
    return this.definitions.get(type)?.get(schemaVersion);
  }

  has(type: string): boolean {
    return this.definitions.has(type);
  }

  latestVersion(type: string): number {
    const versions = this.definitions.get(type);
    if (!versions) throw new UnknownEventType(type);
    return Math.max(...versions.keys());
  }

  /** Validates new data against the newest schema of its type; returns the parsed data and version. */
  validate(type: string, data: unknown): { schemaVersion: number; data: JsonObject } {
    const schemaVersion = this.latestVersion(type);
    const definition = this.definitions.get(type)!.get(schemaVersion)!;
    const parsed = definition.schema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new InvalidEvent(`${type} v${schemaVersion}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return { schemaVersion, data: parsed.data };
  }

  /** Brings a stored event to its type's newest schema version through the registered upcasters. */
  upcast<E extends Pick<StoredEvent, 'type' | 'schemaVersion' | 'data'>>(event: E): E {
    if (!this.definitions.has(event.type)) return event;
    const latest = this.latestVersion(event.type);
    let { schemaVersion, data } = event;
    while (schemaVersion < latest) {
      const step = this.upcasters.get(`${event.type}@${schemaVersion}`);
      if (!step) throw new UnknownEventType(event.type, schemaVersion + 1);
      data = step.upcast(data);
      schemaVersion++;
    }
    return schemaVersion === event.schemaVersion ? event : { ...event, schemaVersion, data };
  }
}
