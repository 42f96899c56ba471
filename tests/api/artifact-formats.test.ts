import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { parseThresholdWrapper } from '../../src/analytics/scoring/threshold-wrapper-model.js';

type Json = Record<string, unknown>;
const inputSchema = [
  { name: 'age', type: 'number' },
  { name: 'income', type: 'number' },
];

describe('artifact formats: published schemas, and errors that point inside the artifact', () => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;
  const ajv = new Ajv2020({ strict: false, validateFormats: false });
  beforeAll(async () => {
    server = await startTestServer('pglite');
    base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    await server?.close();
  });

  const schemaOf = async (slug: string) => {
    const res = await fetch(`${base}/api/v1/artifact-formats/${slug}/schema`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/schema+json');
    return (await res.json()) as Json & { examples: Json[] };
  };
  const newModel = async () => {
    const res = await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'm', type: 'classification', riskTier: 'limited' }) });
    return ((await res.json()) as { id: string }).id;
  };
  const upload = async (metadata: Json, artifact: unknown) => {
    const form = new FormData();
    form.append('metadata', JSON.stringify(metadata));
    form.append('artifact', new Blob([JSON.stringify(artifact)]), 'model.json');
    const res = await fetch(`${base}/api/v1/models/${await newModel()}/versions`, { method: 'POST', headers: auth, body: form });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Json & { errors?: { field: string; message: string }[] } };
  };

  it('lists every accepted format, without a token, each with its schema address', async () => {
    const res = await fetch(`${base}/api/v1/artifact-formats`);
    expect(res.status).toBe(200);
    const { formats } = (await res.json()) as { formats: { format: string; schemaUrl: string }[] };
    expect(formats.map((f) => f.format)).toEqual(['raia-tree-ensemble/v1', 'raia-linear/v1', 'xgboost-json', 'raia-threshold-wrapper/v1', 'onnx']);
    for (const f of formats) expect((await fetch(base + f.schemaUrl)).status).toBe(200);
    const unknown = await fetch(`${base}/api/v1/artifact-formats/pickle/schema`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
  });

  it('publishes examples that satisfy their schema and that the loaders accept as model versions', async () => {
    const cases: [string, Json][] = [
      ['raia-tree-ensemble-v1', { format: 'raia-tree-ensemble/v1', task: 'binary', inputSchema }],
      ['raia-linear-v1', { format: 'raia-linear/v1', task: 'binary', classes: ['rejected', 'accepted'], inputSchema }],
      ['xgboost-json', { format: 'xgboost-json', task: 'binary', inputSchema }],
    ];
    for (const [slug, metadata] of cases) {
      const schema = await schemaOf(slug);
      const validate = ajv.compile(schema);
      expect(validate(schema.examples[0]) ? [] : validate.errors, slug).toEqual([]);
      const added = await upload(metadata, schema.examples[0]);
      expect(added.status, `${slug}: ${JSON.stringify(added.body)}`).toBe(201);
    }
    // The wrapper is written by the threshold optimiser, not uploaded: its parser judges the example.
    const wrapper = await schemaOf('raia-threshold-wrapper-v1');
    expect(ajv.validate(wrapper, wrapper.examples[0])).toBe(true);
    expect(() => parseThresholdWrapper(wrapper.examples[0])).not.toThrow();
    const onnx = await schemaOf('onnx');
    expect(String(onnx.description)).toContain('[N, F]');
  });

  it('names the path inside the artifact for a fault in it, not a metadata field', async () => {
    const tree = (await schemaOf('raia-tree-ensemble-v1')).examples[0]!;
    const treeMeta = { format: 'raia-tree-ensemble/v1', task: 'binary', inputSchema };
    const linear = (await schemaOf('raia-linear-v1')).examples[0]!;
    const linearMeta = { format: 'raia-linear/v1', task: 'binary', classes: ['rejected', 'accepted'], inputSchema };
    const xgb = (await schemaOf('xgboost-json')).examples[0]!;
    const withNode = (n: number, change: Json) => {
      const copy = structuredClone(tree) as { trees: { nodes: Json[] }[] };
      copy.trees[0]!.nodes[n] = { ...copy.trees[0]!.nodes[n], ...change };
      return copy;
    };
    const xgbTrees = (change: Json) => {
      const copy = structuredClone(xgb) as { learner: { gradient_booster: { model: { trees: Json[] } } } };
      Object.assign(copy.learner.gradient_booster.model.trees[0]!, change);
      return copy;
    };
    const cases: [Json, unknown, string][] = [
      [treeMeta, withNode(2, { cover: 0 }), 'artifact.trees[0].nodes[2].cover'],
      [treeMeta, withNode(0, { feature: 7 }), 'artifact.trees[0].nodes[0].feature'],
      [treeMeta, { ...tree, decision: 'lt' }, 'artifact.decision'],
      // `format` and `task` inside the file are the file's, not the version's metadata.format/task.
      [treeMeta, { ...tree, format: 'raia-tree-ensemble/v2' }, 'artifact.format'],
      [linearMeta, { ...linear, coefficients: [0.05, 'high'] }, 'artifact.coefficients[1]'],
      [linearMeta, { ...linear, task: 'regression' }, 'artifact.link'],
      [{ format: 'xgboost-json', task: 'binary', inputSchema }, xgbTrees({ sum_hessian: [10, -4, 6] }), 'artifact.learner.gradient_booster.model.trees[0].sum_hessian[1]'],
    ];
    const before = (await server.runtime.store.head()).position;
    for (const [metadata, artifact, path] of cases) {
      const res = await upload(metadata, artifact);
      expect(res.status, path).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.artifactPath, path).toBe(path);
      expect(res.body.errors, path).toEqual([{ field: 'body.artifact', message: expect.stringMatching(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: `)) }]);
    }
    // A disagreement between the file and the metadata still names the metadata field.
    const mismatch = await upload({ ...treeMeta, task: 'regression' }, tree);
    expect(mismatch.body.errors).toEqual([{ field: 'body.metadata.task', message: expect.stringContaining('binary') }]);
    const notJson = new FormData();
    notJson.append('metadata', JSON.stringify(treeMeta));
    notJson.append('artifact', new Blob(['{"format":']), 'model.json');
    const broken = (await (await fetch(`${base}/api/v1/models/${await newModel()}/versions`, { method: 'POST', headers: auth, body: notJson })).json()) as Json;
    expect(broken).toMatchObject({ status: 400, artifactPath: 'artifact', errors: [{ field: 'body.artifact', message: 'artifact: is not valid JSON' }] });
    // Refusals record nothing but the models the cases created (one model.registered each).
    const events = await server.runtime.store.readAll({ after: before, limit: 1000 });
    expect(events.filter((e) => e.type === 'model.registered')).toHaveLength(cases.length + 2);
    expect(events.filter((e) => e.type === 'model.version-added')).toEqual([]);
  });
});
