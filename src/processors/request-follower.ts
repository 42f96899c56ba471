import type { StoredEvent } from '../events/envelope.js';
import type { EventCatalogue } from '../events/event-catalogue.js';
import type { EventStore, Subscription } from '../events/event-store.js';
import type { Knex } from '../platform/database.js';
import { inEventSpan } from '../platform/event-tracing.js';
import type { Logger } from '../platform/logger.js';
import { loadCheckpoint, saveCheckpoint } from './processor-checkpoints.js';

const RETRY_MS = 2000;

export type RequestFollower = { isStopped(): boolean; stop(): Promise<void> };

/**
 * A job processor's loop: follows `$all` from the processor's checkpoint and runs each event of
 * `requestType` (upcast, in its trace span), one after another. The checkpoint moves past each
 * finished job at once, so a restart runs only unfinished ones; after an error the follower starts
 * again from the checkpoint.
 */
export async function followRequests(
  deps: { store: EventStore; catalogue: EventCatalogue; knex: Knex; logger?: Logger },
  processor: string,
  requestType: string,
  run: (event: StoredEvent) => Promise<void>,
): Promise<RequestFollower> {
  let checkpoint = await loadCheckpoint(deps.knex, processor);
  let subscription: Subscription | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;

  const follow = () => {
    subscription = deps.store.subscribeToAll({
      after: checkpoint,
      async onEvents(events) {
        for (const e of events) {
          if (stopped) return;
          if (e.type === requestType) {
            await inEventSpan(processor, e, () => run(deps.catalogue.upcast(e)));
            await saveCheckpoint(deps.knex, processor, e.position);
          }
          checkpoint = e.position;
        }
        await saveCheckpoint(deps.knex, processor, checkpoint);
      },
      onError(error) {
        if (stopped) return;
        deps.logger?.error({ err: error, checkpoint, processor }, `${processor} failed; retrying from the checkpoint`);
        retry = setTimeout(() => !stopped && follow(), RETRY_MS);
      },
    });
  };
  follow();

  return {
    isStopped: () => stopped,
    async stop() {
      stopped = true;
      clearTimeout(retry);
      await subscription?.stop();
    },
  };
}
