import type { JsonObject, StoredEvent } from '../../events/envelope.js';
import type { EventStore } from '../../events/event-store.js';
import type { LedgerFeed } from '../live/ledger-feed.js';
import type { LiveNotification, NotificationFeed } from '../live/notification-feed.js';

const RAISED = 'notification.raised';

/** A raised notification as `/ws/notifications` pushes it: its ledger position is its sequence (increasing per user). */
const liveNotification = (e: StoredEvent): LiveNotification => ({ id: String(e.data.notificationId), sequence: e.position, body: { ...e.data, raisedAt: e.occurredAt.toISOString() } as JsonObject });

/**
 * A user's notifications for `/ws/notifications`, from the ledger itself: `notification.raised`
 * events naming the user, heard live from the process's ledger feed and read back from the ledger
 * to resume. Both come from the same committed events, so a client that resumes after the last
 * position it saw misses none and sees none twice (the notifications read model may lag; this does not).
 */
export function ledgerNotificationFeed(store: EventStore, feed: LedgerFeed): NotificationFeed {
  return {
    async after(userId, afterSequence, limit) {
      const events = await store.readAll({ after: afterSequence, limit, filter: { types: [RAISED], dataContains: { recipientId: userId } } });
      return events.map(liveNotification);
    },
    async latestSequence(userId) {
      const [latest] = await store.readAll({ direction: 'backwards', limit: 1, filter: { types: [RAISED], dataContains: { recipientId: userId } } });
      return latest?.position ?? 0;
    },
    listen(userId, onNotification) {
      return feed.listen((events) => {
        for (const e of events) if (e.type === RAISED && e.data.recipientId === userId) onNotification(liveNotification(e));
      });
    },
  };
}
