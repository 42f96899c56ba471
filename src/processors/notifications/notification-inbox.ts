import { v7 } from 'uuid';
import type { Actor, JsonObject } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import type { Knex } from '../../platform/database.js';
import { findNotification } from '../../projections/notifications.projection.js';

export const preferencesStreamId = (userId: string) => `notification-preferences-${userId}`;

export class NotificationNotFound extends Error {
  constructor(notificationId: string) {
    super(`notification ${notificationId} does not exist`);
    this.name = 'NotificationNotFound';
  }
}

type Deps = { store: EventStore; catalogue: EventCatalogue; knex: Knex };
type Meta = { actor: Actor; correlationId?: string };

const record = async (deps: Deps, streamId: string, type: string, data: JsonObject, meta: Meta) => {
  const valid = deps.catalogue.validate(type, data);
  const result = await deps.store.append(streamId, [{ id: v7(), type, schemaVersion: valid.schemaVersion, data: valid.data, actor: meta.actor, ...(meta.correlationId ? { correlationId: meta.correlationId } : {}) }], { expectedVersion: 'any' });
  return result.position;
};

/** The user's own notification, not deleted; anyone else's reads as absent. */
async function ownNotification(deps: Deps, userId: string, notificationId: string) {
  const found = await findNotification(deps.knex, notificationId);
  if (!found || found.recipientId !== userId || found.deleted) throw new NotificationNotFound(notificationId);
  return found;
}

/** A user's inbox actions, each recorded as an event the notifications read model applies. */
export const notificationInbox = {
  async markRead(deps: Deps, userId: string, notificationId: string, meta: Meta): Promise<number> {
    await ownNotification(deps, userId, notificationId);
    return record(deps, `notification-${notificationId}`, 'notification.read', { notificationId, recipientId: userId }, meta);
  },
  async remove(deps: Deps, userId: string, notificationId: string, meta: Meta): Promise<number> {
    await ownNotification(deps, userId, notificationId);
    return record(deps, `notification-${notificationId}`, 'notification.deleted', { notificationId, recipientId: userId }, meta);
  },
  /** Everything raised up to the ledger's head now is read; later ones stay unread. */
  async markAllRead(deps: Deps, userId: string, meta: Meta): Promise<{ position: number; upToPosition: number }> {
    const upToPosition = (await deps.store.head()).position;
    return { position: await record(deps, `notification-inbox-${userId}`, 'notification.all-read', { recipientId: userId, upToPosition }, meta), upToPosition };
  },
  setPreferences: (deps: Deps, userId: string, preferences: Record<string, string[]>, meta: Meta) => record(deps, preferencesStreamId(userId), 'notification.preferences-set', { userId, preferences }, meta),
};
