import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { newEvent } from '../support/events.js';
import { PROCESSOR_CHECKPOINTS_TABLE } from '../../src/processors/processor-checkpoints.js';

type Panel = { title?: string; type: string; datasource?: { uid?: string }; targets?: { expr: string }[]; panels?: Panel[] };
type Dashboard = { title: string; uid: string; panels: Panel[]; templating: { list: { name: string; type: string; query?: unknown; datasource?: { uid?: string } }[] } };

const dashboard = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'docs', 'grafana', 'raia-dashboard.json'), 'utf8')) as Dashboard;
const panels = (list: Panel[]): Panel[] => list.flatMap((p) => [p, ...panels(p.panels ?? [])]);
const expressions = panels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

/** Metric names a scrape exposes: every `# TYPE` family and every sample name (histograms add _bucket, _sum, _count). */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) /.exec(line);
    if (type) names.add(type[1]!);
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

describe('the Grafana dashboard (docs/grafana/raia-dashboard.json)', () => {
  let server: TestServer;
  let scrape: string;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    const auth = { authorization: `Bearer ${await server.tokenFor('auditor')}` };
    await server.app.inject({ method: 'GET', url: '/api/v1/health' });
    scrape = (await server.app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
  });
  afterAll(async () => {
    await server.close();
  });

  it('queries only metrics that /metrics exposes', () => {
    const exposed = exposedNames(scrape);
    expect(expressions.length).toBeGreaterThan(10);
    for (const expr of expressions) {
      // Every query reads RAIA's own metrics (all prefixed raia_), so the check below sees all of them.
      const referenced = expr.match(/\braia_[a-z0-9_]+/g) ?? [];
      expect(referenced, expr).not.toEqual([]);
      for (const name of referenced) expect(exposed.has(name), `${name} in ${expr}`).toBe(true);
    }
  });

  it('takes its Prometheus data source from the ${DS_PROMETHEUS} variable', () => {
    expect(dashboard.templating.list).toContainEqual(expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }));
    for (const panel of panels(dashboard.panels).filter((p) => p.targets)) expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
  });

  it('charts request rate, latency quantiles by route, errors, ledger, projection and processor lag, CPU and memory', () => {
    const all = expressions.join('\n');
    for (const q of ['0.5', '0.95', '0.99']) expect(all).toContain(`histogram_quantile(${q}, sum by (le, route) (rate(raia_http_request_duration_seconds_bucket`);
    for (const name of ['raia_http_requests_total', 'raia_ledger_head_position', 'raia_projection_lag_events', 'raia_relay_lag_events', 'raia_processor_lag_events', 'raia_explanation_jobs_running', 'raia_process_cpu_seconds_total', 'raia_process_resident_memory_bytes']) {
      expect(all).toContain(name);
    }
    expect(all).toMatch(/status=~"5\.\."/);
  });

  it('exposes each checkpointed processor\'s backlog and the explanation jobs running', async () => {
    const auth = { authorization: `Bearer ${await server.tokenFor('auditor')}` };
    const { knex } = server.runtime.db;
    await server.runtime.store.append('model-metrics', [newEvent(), newEvent()]);
    // A checkpoint held back by hand: its backlog is the ledger head minus it, whatever else runs.
    await knex(PROCESSOR_CHECKPOINTS_TABLE).insert({ name: 'held-back', position: 1 });
    // The relay writes its first checkpoint once it has handled an event, on a later turn of the
    // event loop than the append: wait (bounded) for that row rather than race it.
    for (let i = 0; i < 200 && !(await knex(PROCESSOR_CHECKPOINTS_TABLE).where({ name: 'nats-relay' }).first()); i++) await new Promise((r) => setTimeout(r, 50));
    const body = (await server.app.inject({ method: 'GET', url: '/metrics', headers: auth })).body;
    const head = Number(/^raia_ledger_head_position (\d+)$/m.exec(body)?.[1]);
    expect(head).toBeGreaterThanOrEqual(2);
    expect(body).toMatch(new RegExp(`^raia_processor_lag_events\\{processor="held-back"\\} ${head - 1}$`, 'm'));
    expect(body).toMatch(/^raia_processor_lag_events\{processor="nats-relay"\} \d+$/m);
    expect(body).toMatch(/^raia_explanation_jobs_running 0$/m);
  });
});
