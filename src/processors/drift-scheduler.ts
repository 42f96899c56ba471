import { schedule, type ScheduledTask } from 'node-cron';
import { driftScheduleDecider, driftScheduleStreamId, type DriftScheduleEvent, type DriftScheduleSpec } from '../commands/drift/drift-schedule.decider.js';
import { systemActor, type StoredEvent } from '../events/envelope.js';
import type { Subscription } from '../events/event-store.js';
import type { Logger } from '../platform/logger.js';
import { inEventSpan } from '../platform/event-tracing.js';
import { detectDrift, type DriftDetection, type DriftDetectionDeps, type DriftTestName } from './drift-detection.js';

export const DRIFT_SCHEDULER = 'drift-scheduler';
const SCHEDULE_TYPES = ['drift.schedule-set', 'drift.schedule-removed'];
const PAGE = 1000;

/** An active schedule as its latest `drift.schedule-set` event states it. */
export type DriftSchedule = DriftScheduleSpec & { scheduleId: string; eventId: string; setAt: Date; setBy: StoredEvent['actor'] };

export type DriftScheduler = {
  /** Runs a schedule once, now (after any run of it in progress); null when the schedule is not active. */
  runNow(scheduleId: string): Promise<DriftDetection | null>;
  /** The schedules this process runs. */
  active(): string[];
  stop(): Promise<void>;
};

export type DriftSchedulerOptions = DriftDetectionDeps & { logger?: Logger };

function scheduleOf(event: StoredEvent): DriftSchedule {
  const data = event.data as unknown as DriftScheduleSpec & { scheduleId: string };
  return { ...data, eventId: event.id, setAt: event.occurredAt, setBy: event.actor };
}

/** Folds schedule events (in ledger order) into the schedules still active. */
function foldSchedules(active: Map<string, DriftSchedule>, events: StoredEvent[], deps: DriftDetectionDeps): Map<string, DriftSchedule> {
  for (const stored of events) {
    const e = deps.catalogue.upcast(stored);
    if (e.type === 'drift.schedule-set') active.set(String(e.data.scheduleId), scheduleOf(e));
    else if (e.type === 'drift.schedule-removed') active.delete(String(e.data.scheduleId));
  }
  return active;
}

/** Every active drift schedule up to `to` (the head when absent), read from the ledger by event type. */
export async function activeDriftSchedules(deps: DriftDetectionDeps, to?: number): Promise<DriftSchedule[]> {
  const active = new Map<string, DriftSchedule>();
  for (let after = 0; ; ) {
    const page = await deps.store.readAll({ after, ...(to === undefined ? {} : { to }), limit: PAGE, filter: { types: SCHEDULE_TYPES } });
    foldSchedules(active, page, deps);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.position;
  }
  return [...active.values()];
}

/** One schedule from its own stream: the latest setting, or null when it does not exist or was removed. */
export async function driftScheduleFromLedger(deps: DriftDetectionDeps, scheduleId: string): Promise<DriftSchedule | null> {
  const events = await deps.store.readStream(driftScheduleStreamId(scheduleId));
  let state = driftScheduleDecider.initialState();
  for (const e of events) state = driftScheduleDecider.evolve(state, deps.catalogue.upcast(e) as unknown as DriftScheduleEvent);
  const set = events.filter((e) => e.type === 'drift.schedule-set').at(-1);
  return state.status === 'active' && set ? scheduleOf(deps.catalogue.upcast(set)) : null;
}

/**
 * Runs scheduled drift checks (ARCHITECTURE.md: scheduled work uses node-cron and is recorded as
 * events). Each run compares the current dataset's latest version with the schedule's reference
 * and records the report caused by the schedule's event. The report id is derived from the schedule
 * event and the pair of versions, so a pair already checked records nothing new, whichever process
 * (or redelivery) ran it: several schedulers may run side by side without duplicating reports.
 */
export async function startDriftScheduler(options: DriftSchedulerOptions): Promise<DriftScheduler> {
  const deps: DriftDetectionDeps = { store: options.store, catalogue: options.catalogue, blobs: options.blobs };
  const { logger } = options;
  const tasks = new Map<string, { schedule: DriftSchedule; task: ScheduledTask }>();
  /** The run in progress per schedule: ticks skip while one runs, runNow waits for it. */
  const running = new Map<string, Promise<DriftDetection | null>>();
  let stopped = false;

  const run = (s: DriftSchedule): Promise<DriftDetection | null> => {
    const current: Promise<DriftDetection | null> = detectDrift(deps, {
      modelId: s.modelId ?? undefined,
      reference: s.reference ?? undefined,
      current: { datasetId: s.currentDatasetId },
      columns: s.options.columns,
      driftShare: s.options.driftShare,
      tests: s.options.tests as Record<string, DriftTestName>,
      thresholds: s.options.thresholds,
      actor: systemActor(DRIFT_SCHEDULER),
      causationId: s.eventId,
      correlationId: s.scheduleId,
      idempotencyKey: s.eventId,
    })
      .then((detection) => {
        if (detection.recorded) logger?.info({ scheduleId: s.scheduleId, reportId: detection.report.reportId, datasetDrift: detection.report.datasetDrift, severity: detection.alert?.severity ?? null }, 'scheduled drift check recorded');
        return detection;
      })
      .finally(() => {
        if (running.get(s.scheduleId) === current) running.delete(s.scheduleId);
      });
    running.set(s.scheduleId, current);
    return current;
  };

  const tick = (scheduleId: string) => {
    const entry = tasks.get(scheduleId);
    if (stopped || !entry || running.has(scheduleId)) return;
    run(entry.schedule).catch((err: unknown) => logger?.warn({ err, scheduleId }, 'scheduled drift check failed'));
  };

  const unschedule = async (scheduleId: string) => {
    const entry = tasks.get(scheduleId);
    tasks.delete(scheduleId);
    await entry?.task.destroy();
  };

  const add = async (s: DriftSchedule) => {
    await unschedule(s.scheduleId);
    if (stopped) return;
    try {
      const task = schedule(s.cron, () => tick(s.scheduleId), { name: `${DRIFT_SCHEDULER}:${s.scheduleId}`, noOverlap: true });
      tasks.set(s.scheduleId, { schedule: s, task });
    } catch (err) {
      // The decider validated the expression; a node-cron that parses differently must not stop the others.
      logger?.error({ err, scheduleId: s.scheduleId, cron: s.cron }, 'drift schedule cannot be scheduled');
    }
  };

  const head = (await deps.store.head()).position;
  for (const s of await activeDriftSchedules(deps, head)) await add(s);
  const subscription: Subscription = deps.store.subscribeToAll({
    after: head,
    onEvents: async (events) => {
      for (const stored of events) {
        if (!SCHEDULE_TYPES.includes(stored.type)) continue;
        const e = deps.catalogue.upcast(stored);
        await inEventSpan(DRIFT_SCHEDULER, e, () => (e.type === 'drift.schedule-set' ? add(scheduleOf(e)) : unschedule(String(e.data.scheduleId))));
      }
    },
    onError: (err) => logger?.error({ err }, 'drift scheduler subscription failed'),
  });
  logger?.info({ schedules: tasks.size }, 'drift scheduler started');

  return {
    async runNow(scheduleId) {
      await running.get(scheduleId)?.catch(() => undefined);
      // From the schedule's own stream: a schedule set a moment ago runs before the subscription sees it.
      const s = await driftScheduleFromLedger(deps, scheduleId);
      return s ? run(s) : null;
    },
    active: () => [...tasks.keys()],
    async stop() {
      stopped = true;
      await subscription.stop();
      for (const scheduleId of [...tasks.keys()]) await unschedule(scheduleId);
      await Promise.all([...running.values()].map((r) => r.catch(() => undefined)));
    },
  };
}
