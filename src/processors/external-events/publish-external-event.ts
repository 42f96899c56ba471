import { v5 as uuidv5, v7 } from 'uuid';
import type { Actor, JsonObject } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import { RAIA_RESULT_NAMESPACE } from '../result-event-id.js';
import type { PublisherRegistry } from './publisher-registry.js';

export class PublishRefused extends Error {
  constructor(
    readonly status: 400 | 403,
    readonly errors: { field: string; message: string }[],
  ) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'PublishRefused';
  }
}

export type PublishRequest = { namespace: string; type: string; id?: string; data: JsonObject };

/**
 * Records an external system's event: its publisher must be registered and the caller one of its
 * publishers (or an administrator), the payload must satisfy the JSON Schema registered for its
 * type, and it is appended to `external-<namespace>` through the ledger (so hash-chained and
 * sealed like RAIA's own). With the publisher's own id, the ledger id is derived from it (UUID v5)
 * and publishing the same event again records nothing new.
 */
export async function publishExternalEvent(
  deps: { store: EventStore; catalogue: EventCatalogue; registry: PublisherRegistry },
  request: PublishRequest,
  caller: { userId: string; isAdmin: boolean; actor: Actor; correlationId?: string },
): Promise<{ eventId: string; position: number; duplicate: boolean }> {
  const publisher = deps.registry.publisher(request.namespace);
  if (!publisher) throw new PublishRefused(400, [{ field: 'body.namespace', message: `no publisher is registered with namespace ${request.namespace}` }]);
  if (!caller.isAdmin && !publisher.publisherIds.has(caller.userId)) throw new PublishRefused(403, [{ field: 'body.namespace', message: `the caller is not a publisher of ${request.namespace}` }]);
  const registered = publisher.types.get(request.type);
  if (!registered) throw new PublishRefused(400, [{ field: 'body.type', message: `${request.namespace} has no schema registered for ${request.type}` }]);
  if (!registered.validate(request.data)) {
    const errors = (registered.validate.errors ?? []).map((e) => ({ field: `body.data${e.instancePath.replaceAll('/', '.')}`, message: e.message ?? 'is invalid' }));
    throw new PublishRefused(400, errors.length > 0 ? errors : [{ field: 'body.data', message: 'does not match the registered schema' }]);
  }
  const { schemaVersion, data } = deps.catalogue.validate('external.event-published', {
    namespace: request.namespace,
    type: request.type,
    schemaSha256: registered.schemaSha256,
    externalId: request.id ?? null,
    payload: request.data,
  });
  const eventId = request.id ? uuidv5(`external:${request.namespace}:${request.id}`, RAIA_RESULT_NAMESPACE) : v7();
  const result = await deps.store.append(`external-${request.namespace}`, [{ id: eventId, type: 'external.event-published', schemaVersion, data, actor: caller.actor, ...(caller.correlationId ? { correlationId: caller.correlationId } : {}) }], { expectedVersion: 'any' });
  return { eventId, position: result.events[0]?.position ?? result.position, duplicate: result.duplicate };
}
