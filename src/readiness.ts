import type { Runtime } from './runtime.js';

/**
 * Readiness: whether this process should receive traffic. It should while its database answers,
 * every read model is within `maxLag` events of the ledger and not failed (queries answer from
 * them), and the NATS bus, when one is configured, answers. Liveness (the process answers) is
 * GET /api/v1/health; this is GET /api/v1/health/ready.
 */
export type ReadinessCheck = { ok: boolean; error?: string };
export type Readiness = {
  ready: boolean;
  /** The names of the checks that failed, for a probe's log. */
  failing: ('database' | 'projections' | 'bus')[];
  checks: {
    database: ReadinessCheck;
    projections: ReadinessCheck & { maxLag: number; behind: { name: string; lag: number; status: string }[] };
    bus: ReadinessCheck & { kind: 'nats' | 'in-process' };
  };
};

/** A probe must answer within its own timeout even when a dependency hangs. */
const CHECK_TIMEOUT_MS = 3000;

async function bounded<T>(work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const value = await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export async function checkReadiness(runtime: Pick<Runtime, 'db' | 'projections' | 'bus'>, maxLag: number): Promise<Readiness> {
  const [database, projections, bus] = await Promise.all([
    bounded(() => runtime.db.knex.raw('SELECT 1')),
    bounded(() => runtime.projections.status()),
    // The in-process bus is part of this process: only a NATS server is a dependency to check.
    runtime.bus.kind === 'nats' ? bounded(() => runtime.bus.health()) : Promise.resolve({ ok: true as const, value: { connected: true } }),
  ]);
  const behind = projections.ok ? projections.value.filter((p) => p.lag > maxLag || p.status === 'failed').map((p) => ({ name: p.name, lag: p.lag, status: p.status })) : [];
  const checks: Readiness['checks'] = {
    database: database.ok ? { ok: true } : { ok: false, error: database.error },
    projections: projections.ok
      ? { ok: behind.length === 0, maxLag, behind, ...(behind.length > 0 ? { error: `${behind.map((p) => p.name).join(', ')} behind the ledger by more than ${maxLag} events, or failed` } : {}) }
      : { ok: false, maxLag, behind, error: projections.error },
    bus: bus.ok
      ? { ok: bus.value.connected, kind: runtime.bus.kind, ...(bus.value.connected ? {} : { error: 'the NATS server does not answer' }) }
      : { ok: false, kind: runtime.bus.kind, error: bus.error },
  };
  const failing = (['database', 'projections', 'bus'] as const).filter((name) => !checks[name].ok);
  return { ready: failing.length === 0, failing, checks };
}
