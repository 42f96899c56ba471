/** Who caused an event: a user acting in a role, a service account, or the system itself. */
export type Actor =
  /** `apiKeyId` when the user acted through one of their service-account keys. */
  | { kind: 'user'; id: string; role: string; apiKeyId?: string }
  | { kind: 'service'; id: string }
  | { kind: 'system'; id: string };

export const systemActor = (id = 'raia'): Actor => ({ kind: 'system', id });

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An event as a writer proposes it; the store assigns version, position, time and hashes. */
export type NewEvent = {
  /** UUID (v7 for fresh events, v5 for processor results). Re-appending a stored id is idempotent. */
  id: string;
  type: string;
  schemaVersion: number;
  data: JsonObject;
  metadata?: JsonObject;
  actor: Actor;
  correlationId?: string;
  causationId?: string;
};

/** An event as the ledger holds it (ARCHITECTURE.md, "The ledger"). */
export type StoredEvent = {
  id: string;
  type: string;
  schemaVersion: number;
  streamId: string;
  /** 0-based position within the stream. */
  streamVersion: number;
  /** Global, gap-free, strictly increasing, starting at 1. */
  position: number;
  /** When the ledger recorded the event; non-decreasing along `position`. */
  occurredAt: Date;
  actor: Actor;
  correlationId: string | null;
  causationId: string | null;
  data: JsonObject;
  metadata: JsonObject;
  prevHash: string;
  hash: string;
};

/** Stream ids are `<category>-<id>`; the category names the aggregate (`model-…` → `model`). */
export function streamCategory(streamId: string): string {
  const dash = streamId.indexOf('-');
  return dash === -1 ? streamId : streamId.slice(0, dash);
}
