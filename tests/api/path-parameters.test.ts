import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

/**
 * The seed's parameterised endpoints (spec/seed-endpoints.txt, copied here because the spec is not
 * part of the repository): their parameter names are the contract the rule generalises.
 */
const SEED_TEMPLATES = [
  '/api/v1/models/:id', '/api/v1/models/:id/deploy', '/api/v1/models/:id/retire',
  '/api/v1/explainability/shap/:modelId', '/api/v1/explainability/lime/:modelId', '/api/v1/explainability/feature-importance/:modelId', '/api/v1/explainability/partial-dependence/:modelId',
  '/api/v1/fairness/analyze/:modelId', '/api/v1/fairness/reports/:modelId', '/api/v1/bias/metrics/:modelId', '/api/v1/bias/mitigation/:modelId',
  '/api/v1/datasets/:id', '/api/v1/datasets/:id/profile', '/api/v1/datasets/:id/preview', '/api/v1/datasets/:id/validate',
  '/api/v1/data-quality/assess/:datasetId', '/api/v1/data-quality/report/:datasetId', '/api/v1/data-quality/issues/:datasetId',
  '/api/v1/streams/:id', '/api/v1/streams/:id/start', '/api/v1/streams/:id/stop', '/api/v1/streams/:id/metrics', '/api/v1/drift/reports/:modelId',
  '/api/v1/llm/configurations/:id', '/api/v1/documents/:id', '/api/v1/chat/sessions/:id/history', '/api/v1/chat/sessions/:id',
  '/api/v1/evaluations/:id', '/api/v1/evaluations/:id/start', '/api/v1/evaluations/:id/stop', '/api/v1/evaluations/:id/results',
  '/api/v1/events/subscribe/:topic', '/api/v1/export/jobs/:id/download', '/api/v1/export/jobs/:id', '/api/v1/cache/clear/:category',
  '/api/v1/notifications/mark-read/:id', '/api/v1/notifications/:id', '/api/v1/privacy/data-export/:userId', '/api/v1/privacy/data-deletion/:userId',
];

/** Parameters that are a name or a number within their parent, not an identifier of a resource. */
const NAMES = new Set(['version', 'slug', 'topic', 'category', 'provider']);

const singular = (collection: string) => collection.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()).replace(/s$/, '');

/**
 * docs/api-conventions.md, "Path parameters": `{id}` for the resource the path names (right after
 * its collection, once per path), `{<resource>Id}` for another resource, or a name. A path such
 * as `/jobs/{jobId}` names a job with the other style, so it breaks the rule.
 */
function pathParameterViolations(path: string): string[] {
  const segments = path.split('/').filter(Boolean);
  const violations: string[] = [];
  let idSeen = false;
  segments.forEach((segment, i) => {
    const param = /^\{(.+)\}$/.exec(segment)?.[1];
    if (!param) return;
    const before = segments[i - 1] ?? '';
    if (/^\{/.test(before)) violations.push(`{${param}} follows another parameter, not a collection`);
    if (param === 'id') {
      if (idSeen) violations.push('{id} twice');
      idSeen = true;
    } else if (/^[a-z][A-Za-z]*Id$/.test(param)) {
      if (!idSeen && singular(before) === param.slice(0, -2)) violations.push(`{${param}} identifies the resource the path names: call it {id}`);
    } else if (!NAMES.has(param)) violations.push(`{${param}} is neither {id}, {<resource>Id} nor a name (${[...NAMES].join(', ')})`);
  });
  return violations;
}

describe('path parameter names', () => {
  let server: TestServer;
  let paths: string[];
  beforeAll(async () => {
    server = await startTestServer('pglite');
    paths = Object.keys(((await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as { paths: Record<string, unknown> }).paths);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('follow the rule on every path of the served OpenAPI document', () => {
    expect(paths.filter((p) => p.includes('{')).length).toBeGreaterThan(40);
    const broken = paths.map((path) => ({ path, violations: pathParameterViolations(path) })).filter((p) => p.violations.length > 0);
    expect(broken).toEqual([]);
  });

  it('keep the names the seed gives its endpoints', () => {
    for (const template of SEED_TEMPLATES) expect(paths, template).toContain(template.replace(/:([A-Za-z]+)/g, '{$1}'));
  });

  it('would refuse a path that names its own resource with {<resource>Id}, or a parameter that is neither', () => {
    expect(pathParameterViolations('/api/v1/explainability/jobs/{jobId}')).toHaveLength(1);
    expect(pathParameterViolations('/api/v1/compliance/packs/{packId}')).toHaveLength(1);
    expect(pathParameterViolations('/api/v1/llm/configurations/{configurationId}')).toHaveLength(1);
    expect(pathParameterViolations('/api/v1/models/{id}/versions/{id}')).toHaveLength(1);
    expect(pathParameterViolations('/api/v1/things/{name}')).toHaveLength(1);
    expect(pathParameterViolations('/api/v1/compliance/packs/{id}/controls/{controlId}/applicability')).toEqual([]);
    expect(pathParameterViolations('/api/v1/explainability/shap/{modelId}')).toEqual([]);
  });
});
