import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

/** The column options docs/drift-and-quality.md documents, read from the page itself. */
function documentedColumnOptions(): string[] {
  const page = readFileSync(join(import.meta.dirname, '../../docs/drift-and-quality.md'), 'utf8');
  const line = page.split('\n').find((l) => l.startsWith('(`columnOptions[name]`). Column options:'));
  if (!line) throw new Error('the documented option list is gone');
  const list = /`\{ (.*) \}`/.exec(line)![1]!;
  return list.replace(/\{[^}]*\}/g, '').split(',').map((s) => s.replace(/:.*/, '').trim()).filter(Boolean);
}

const sampleValue: Record<string, unknown> = { test: 'psi', threshold: 0.2, thresholds: { ks: 0.01 }, psiBins: 5, jsBase: Math.E, smallReferenceLimit: 10 };

describe.each(['postgres', 'pglite'] as const)('drift tests and options through the route on %s', (dialect) => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;
  let reference: string;
  let current: string;

  const upload = async (content: string, name: string) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify({ name }));
    form.append('file', new Blob([content]), `${name}.csv`);
    const res = await fetch(`${base}/api/v1/datasets/upload`, { method: 'POST', headers: auth, body: form });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  };
  const detect = async (body: Record<string, unknown>) => {
    const res = await fetch(`${base}/api/v1/drift/detect`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ reference: { datasetId: reference }, current: { datasetId: current }, ...body }) });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  beforeAll(async () => {
    server = await startTestServer(dialect);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    // x: 1 2 3 against 4 5 6; colour: (10 a, 20 b) against (20 a, 10 b)
    reference = await upload(['x,colour', '1,a', '2,b', '3,b', ...Array.from({ length: 27 }, (_, i) => `,${i < 9 ? 'a' : 'b'}`)].join('\n'), 'reference');
    current = await upload(['x,colour', '4,a', '5,a', '6,b', ...Array.from({ length: 27 }, (_, i) => `,${i < 18 ? 'a' : 'b'}`)].join('\n'), 'current');
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
  });

  it('accepts every documented column option, in defaults and per column', async () => {
    const options = documentedColumnOptions();
    expect(options).toEqual(['test', 'threshold', 'thresholds', 'psiBins', 'jsBase', 'smallReferenceLimit']);
    for (const option of options) {
      for (const where of ['defaults', 'columnOptions'] as const) {
        const value = { [option]: sampleValue[option] };
        const res = await detect(where === 'defaults' ? { defaults: value } : { columnOptions: { x: value } });
        expect(res.status, `${where}.${option}: ${JSON.stringify(res.body)}`).toBe(200);
      }
    }
    // psiBins reaches the engine: 3 reference values give at most 3 distinct quantile bins out of 5 asked
    const psi = await detect({ columnOptions: { x: { psiBins: 2 } } });
    expect(psi.body.columns.find((c: { column: string }) => c.column === 'x').psiBins).toHaveLength(2);
    expect(psi.body.columns.find((c: { column: string }) => c.column === 'x').psiBins.length).toBeLessThanOrEqual(5);
  });

  it('runs several tests per column, each naming its method and parameters', async () => {
    const res = await detect({
      columns: ['x', 'colour'],
      columnTests: {
        x: [{ method: 'ks', mode: 'exact' }, { method: 'wasserstein', normalised: false }, { method: 'jensenshannon', binning: 'equal-width', bins: 2 }, { method: 'psi', binning: 'equal-width', bins: 2 }],
        colour: [{ method: 'chisquare', variant: 'contingency' }, { method: 'chisquare', variant: 'contingency', correction: false }],
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const x = res.body.columns.find((c: { column: string }) => c.column === 'x');
    expect(x.tests.map((t: { method: string }) => t.method)).toEqual(['ks', 'wasserstein', 'jensenshannon', 'psi']);
    expect(x.tests[0]).toMatchObject({ statistic: 1, parameters: { mode: 'exact' }, details: { statisticLocation: 3, statisticSign: 1 } });
    expect(x.tests[0].pValue).toBeCloseTo(0.1, 12);
    expect(x.tests[1].score).toBeCloseTo(3, 12); // every value moves by 3
    const colour = res.body.columns.find((c: { column: string }) => c.column === 'colour');
    // (10 20; 20 10): E = 15; Yates 5.4, plain 20/3
    expect(colour.tests[0].statistic).toBeCloseTo(5.4, 12);
    expect(colour.tests[1].statistic).toBeCloseTo(20 / 3, 12);
    expect(colour.tests[0].parameters).toEqual({ variant: 'contingency', correction: true, threshold: 0.05 });
  });

  it('refuses a test that does not apply, an unknown column and an unknown option, naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ columnTests: { colour: [{ method: 'ks' }] } }, 'body.columnTests.colour'],
      [{ columnTests: { nope: [{ method: 'ks' }] } }, 'body.columnTests.nope'],
      [{ columnOptions: { nope: { psiBins: 3 } } }, 'body.columnOptions.nope'],
      [{ defaults: { jsBase: 1 } }, 'body.defaults.jsBase'],
      [{ defaults: { binz: 3 } }, 'body.defaults'],
    ];
    for (const [body, field] of cases) {
      const res = await detect(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.type).toMatch(/problem\+json/);
      expect(res.body.errors[0].field).toBe(field);
    }
  });
});
