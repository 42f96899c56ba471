import type { JsonObject } from '../../events/envelope.js';

/** One in-app notification as the live channel pushes it. */
export type LiveNotification = {
  id: string;
  /** Increasing per user: a client resumes after the last sequence it saw. */
  sequence: number;
  /** The notification as the user's own API shows it (title, kind, links, read state…). */
  body: JsonObject;
};

/**
 * The port `/ws/notifications` reads a user's own notifications through (issue 21). The
 * notifications module implements it; the channel needs nothing else from it. `listen` is heard
 * live; `after` is read to resume and to bridge the moment between the two, so a notification
 * recorded while a client connects is neither lost nor sent twice (the channel keeps the cursor).
 */
export interface NotificationFeed {
  /** The user's notifications with a sequence above `afterSequence`, oldest first, at most `limit`. */
  after(userId: string, afterSequence: number, limit: number): Promise<LiveNotification[]>;
  /** The user's latest sequence (0 when none): where a client that does not resume starts. */
  latestSequence(userId: string): Promise<number>;
  /** Hears the user's notifications as they are recorded, in sequence order; returns the way to stop. */
  listen(userId: string, onNotification: (notification: LiveNotification) => void): () => void;
}

/** No notifications: what `/ws/notifications` serves until the notifications module is wired in. */
export const noNotifications: NotificationFeed = {
  after: async () => [],
  latestSequence: async () => 0,
  listen: () => () => undefined,
};

/**
 * A notification feed in memory for one process: a reference implementation of the port (what
 * the channel expects of ordering and resumption) and what tests push through the channel.
 */
export class InMemoryNotificationFeed implements NotificationFeed {
  private readonly byUser = new Map<string, LiveNotification[]>();
  private readonly listeners = new Map<string, Set<(n: LiveNotification) => void>>();

  /** Records a notification for a user and tells the user's listeners. */
  push(userId: string, id: string, body: JsonObject): LiveNotification {
    const list = this.byUser.get(userId) ?? [];
    this.byUser.set(userId, list);
    const notification = { id, sequence: list.length + 1, body };
    list.push(notification);
    for (const listener of this.listeners.get(userId) ?? []) listener(notification);
    return notification;
  }

  async after(userId: string, afterSequence: number, limit: number): Promise<LiveNotification[]> {
    return (this.byUser.get(userId) ?? []).filter((n) => n.sequence > afterSequence).slice(0, limit);
  }

  async latestSequence(userId: string): Promise<number> {
    return this.byUser.get(userId)?.length ?? 0;
  }

  listen(userId: string, onNotification: (n: LiveNotification) => void): () => void {
    const set = this.listeners.get(userId) ?? new Set();
    this.listeners.set(userId, set);
    set.add(onNotification);
    return () => set.delete(onNotification);
  }
}
