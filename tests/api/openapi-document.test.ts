import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { operationIdOf } from '../../src/api/openapi-document.js';

type Operation = {
  operationId?: string;
  security?: unknown[];
  requestBody?: { required?: boolean; content: Record<string, { schema: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
};
type OpenApi = {
  openapi: string;
  servers?: { url: string }[];
  components: { schemas: Record<string, unknown> };
  paths: Record<string, Record<string, Operation>>;
};

const run = promisify(execFile);
const TSC = resolve('node_modules/typescript/bin/tsc');

/** Every `$ref` string anywhere in a JSON value. */
function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) refsIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '$ref' && typeof child === 'string') found.push(child);
      else refsIn(child, found);
    }
  }
  return found;
}

const operationsOf = (doc: OpenApi) => Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));

describe('the OpenAPI document at /docs/json', () => {
  let server: TestServer;
  let doc: OpenApi;
  let baseUrl: string;
  beforeAll(async () => {
    server = await startTestServer('pglite');
    doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApi;
    baseUrl = await server.app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('passes an OpenAPI 3.1 validator, which also resolves every $ref', async () => {
    const result = await new Validator().validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(doc.openapi).toBe('3.1.0');
  });

  it('names a component for every $ref it holds, Problem and the domain schemas among them', () => {
    const refs = new Set(refsIn(doc));
    expect(refs.size).toBeGreaterThan(20);
    for (const ref of refs) {
      expect(ref, ref).toMatch(/^#\/components\/schemas\/[A-Za-z0-9]+$/);
      expect(doc.components.schemas[ref.slice('#/components/schemas/'.length)], ref).toBeDefined();
    }
    for (const name of ['Problem', 'Model', 'ModelVersion', 'AuditEvent', 'Dataset', 'FairnessClassificationReport']) expect(doc.components.schemas[name], name).toBeDefined();
  });

  it('carries examples that satisfy their own schemas', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ $id: 'openapi', components: doc.components });
    const withExamples = Object.entries(doc.components.schemas).filter(([, schema]) => Array.isArray((schema as { examples?: unknown[] }).examples));
    expect(withExamples.map(([name]) => name)).toEqual(expect.arrayContaining(['Problem', 'Model']));
    for (const [name, schema] of withExamples) {
      const validate = ajv.compile({ $ref: `openapi#/components/schemas/${name}` });
      for (const example of (schema as { examples: unknown[] }).examples) expect(validate(example) ? [] : validate.errors, name).toEqual([]);
    }
  });

  it('says where the API is served', () => {
    expect(doc.servers).toEqual([{ url: server.runtime.config.RAIA_PUBLIC_URL }]);
  });

  it('gives every operation a unique camelCase operationId derived from its method and path', () => {
    const ops = operationsOf(doc);
    expect(ops.length).toBeGreaterThan(100);
    const ids = ops.map(({ op }) => op.operationId);
    for (const id of ids) expect(id).toMatch(/^[a-z][A-Za-z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    const byPath = (path: string, method: string) => doc.paths[path]?.[method]?.operationId;
    expect(byPath('/api/v1/models/{id}/versions/{version}', 'get')).toBe('getModelsByIdVersionsByVersion');
    expect(byPath('/api/v1/health', 'get')).toBe('getHealth');
    expect(operationIdOf('delete', '/api/v1/events/subscriptions/{id}')).toBe('deleteEventsSubscriptionsById');
    expect(operationIdOf('post', '/api/v1/fairness/detect-bias')).toBe('postFairnessDetectBias');
  });

  it('marks public routes as needing no token, and the others as needing one (the document default)', () => {
    const open = (path: string, method: string) => doc.paths[path]![method]!.security;
    expect(open('/api/v1/health', 'get')).toEqual([]);
    expect(open('/api/v1/auth/login', 'post')).toEqual([]);
    expect(open('/api/v1/models', 'get')).toBeUndefined();
    for (const { path, method, op } of operationsOf(doc)) {
      const access = server.app.routeAccess.find((r) => r.method === method.toUpperCase() && r.url === path.replace(/\{([^}]+)\}/g, ':$1'));
      expect(access, `${method} ${path}`).toBeDefined();
      if (access!.public) expect(op.security, `${method} ${path}`).toEqual([]);
      else expect(op.security, `${method} ${path}`).toBeUndefined();
    }
  });

  it('types error responses as application/problem+json, as they are sent', async () => {
    let errorResponses = 0;
    const notProblems: string[] = [];
    for (const { path, method, op } of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!/^[45]/.test(status) || !response.content) continue;
        errorResponses++;
        if (!response.content['application/problem+json']) notProblems.push(`${method} ${path} ${status}`);
        else expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
      }
    }
    expect(errorResponses).toBeGreaterThan(300);
    // Readiness and detailed health answer 503 with the health report itself, for load balancers.
    expect(notProblems).toEqual(['get /api/v1/health/ready 503', 'get /api/v1/health/detailed 503']);
    const refused = await fetch(`${baseUrl}/api/v1/models`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
  });

  it('types every success response: a schema that admits anything appears only where the content is free-form by nature', () => {
    // Free-form by nature, each for a reason: an audit event's data and metadata (any event type's;
    // GET /events/catalogue describes each), JSON values a user gave (options, conditions, export
    // parameters), an aggregate's state in the timeline, a JSON Schema served as such, and binary files.
    const freeForm = [
      /->AuditEvent\.properties\.(data|metadata)( \(additionalProperties\)|\.additionalProperties)$/,
      /->JsonValue$/,
      /->ExportJob\.properties\.params( \(additionalProperties\)|\.additionalProperties)$/,
      /^GET \/api\/v1\/audit\/timeline\/\{streamId\} 200\.content\.application\/json\.schema\.properties\.state$/,
      /^GET \/api\/v1\/artifact-formats\/\{slug\}\/schema 200\.content\.application\/json\.schema( \(additionalProperties\)|\.additionalProperties)$/,
      /^GET \/api\/v1\/export\/jobs\/\{id\}\/download 200\.content\.application\/(zip|pdf|vnd\.openxmlformats-officedocument\.spreadsheetml\.sheet)\.schema$/,
    ];
    const isAnything = (schema: Record<string, unknown>) => Object.keys(schema).every((k) => k === 'description');
    const untyped: string[] = [];
    const walk = (value: unknown, path: string, seen: ReadonlySet<string>): void => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return;
      const schema = value as Record<string, unknown>;
      if (typeof schema.$ref === 'string') {
        const name = schema.$ref.slice('#/components/schemas/'.length);
        if (!seen.has(name)) walk(doc.components.schemas[name], `${path}->${name}`, new Set([...seen, name]));
        return;
      }
      if (isAnything(schema)) untyped.push(path);
      const extra = schema.additionalProperties;
      if (extra && typeof extra === 'object' && isAnything(extra as Record<string, unknown>)) untyped.push(`${path} (additionalProperties)`);
      for (const [key, child] of Object.entries(schema)) {
        if (key === 'examples' || key === 'example') continue;
        if (Array.isArray(child)) child.forEach((item, i) => walk(item, `${path}.${key}.${i}`, seen));
        else walk(child, `${path}.${key}`, seen);
      }
    };
    let walked = 0;
    for (const { path, method, op } of operationsOf(doc)) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (!status.startsWith('2') || !response.content) continue;
        walked++;
        for (const [type, media] of Object.entries(response.content)) walk(media.schema, `${method.toUpperCase()} ${path} ${status}.content.${type}.schema`, new Set());
      }
    }
    expect(walked).toBeGreaterThan(150);
    expect(untyped.filter((p) => !freeForm.some((allowed) => allowed.test(p)))).toEqual([]);
    // The explanation routes answer each method's own fields (no catch-all).
    const shapley = doc.components.schemas.ShapleyExplanation as { properties: Record<string, unknown>; additionalProperties?: unknown };
    expect(Object.keys(shapley.properties)).toEqual(expect.arrayContaining(['baseValue', 'values', 'outputs', 'additivityGap', 'method', 'featureNames']));
    for (const name of ['LimeExplanation', 'FeatureImportanceExplanation', 'OneWayPartialDependenceExplanation', 'TwoWayPartialDependenceExplanation', 'JobExplanation']) expect(doc.components.schemas[name], name).toBeDefined();
  });

  it('documents the fields of multipart uploads, and an upload built from them is accepted', async () => {
    type Form = { type: string; properties: Record<string, { contentMediaType: string; contentSchema?: unknown }>; required: string[] };
    const formOf = (path: string) => (doc.paths[path]!.post!.requestBody!.content['multipart/form-data']!.schema as Form);
    const dataset = formOf('/api/v1/datasets/upload');
    expect(dataset.required).toEqual(['file']);
    expect(dataset.properties.file!.contentMediaType).toBe('application/octet-stream');
    expect(dataset.properties.metadata!.contentMediaType).toBe('application/json');
    const version = formOf('/api/v1/models/{id}/versions');
    expect(version.required).toEqual(['metadata']);
    expect(Object.keys(version.properties)).toEqual(['artifact', 'metadata']);
    expect(doc.paths['/api/v1/models/{id}/versions']!.post!.requestBody!.content['application/json']).toBeDefined();
    expect(formOf('/api/v1/documents/upload').required).toEqual(['file']);

    // Metadata written to the documented schema, sent under the documented names.
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const metadata = { name: 'loans', tags: ['credit'], format: 'csv' };
    expect(ajv.validate(dataset.properties.metadata!.contentSchema as object, metadata)).toBe(true);
    expect(ajv.validate(dataset.properties.metadata!.contentSchema as object, { name: 'loans', colour: 'red' })).toBe(false);
    const form = new FormData();
    form.set('metadata', JSON.stringify(metadata));
    form.set('file', new Blob(['age,income\n30,1000\n40,2000\n']), 'loans.csv');
    const res = await fetch(`${baseUrl}/api/v1/datasets/upload`, { method: 'POST', headers: { authorization: `Bearer ${await server.tokenFor('data_scientist')}` }, body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ format: 'csv', rowCount: 2, columns: [{ name: 'age' }, { name: 'income' }] });
  });

  it('yields a generated TypeScript client (openapi-typescript) that type-checks real calls and runs them against the server', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'raia-openapi-client-'));
    try {
      writeFileSync(join(dir, 'api.d.ts'), astToString(await openapiTS(structuredClone(doc) as unknown as Parameters<typeof openapiTS>[0])));
      // The calls a client developer writes against the generated types: register a model, read it
      // back, list models, and read a refusal as a Problem.
      writeFileSync(
        join(dir, 'calls.ts'),
        `import type { paths, components } from './api.js';
type RegisterBody = paths['/api/v1/models']['post']['requestBody']['content']['application/json'];
type Registered = paths['/api/v1/models']['post']['responses'][201]['content']['application/json'];
type ModelRead = paths['/api/v1/models/{id}']['get']['responses'][200]['content']['application/json'];
type ModelPage = paths['/api/v1/models']['get']['responses'][200]['content']['application/json'];
type ModelQuery = NonNullable<paths['/api/v1/models']['get']['parameters']['query']>;
type Problem = components['schemas']['Problem'];

async function call<T>(base: string, token: string, method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(base + path, { method, headers: { authorization: 'Bearer ' + token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

export async function calls(base: string, token: string) {
  const body: RegisterBody = { name: 'credit scoring', type: 'classification', riskTier: 'high' };
  const created = await call<Registered>(base, token, 'POST', '/api/v1/models', body);
  const id: string = created.body.id;
  const position: number = created.body.position;
  const read = await call<ModelRead>(base + '', token, 'GET', '/api/v1/models/' + id);
  const riskTier: string = read.body.riskTier;
  const deployedVersion: number | null = read.body.deployedVersion;
  const query: ModelQuery = { riskTier: 'high', limit: 10 };
  const page = await call<ModelPage>(base, token, 'GET', '/api/v1/models?riskTier=' + query.riskTier + '&limit=' + query.limit);
  const names: string[] = page.body.models.map((m) => m.name);
  const refused = await call<Problem>(base, token, 'POST', '/api/v1/models', { name: '' });
  const problem: { title: string; status: number; errors?: { field: string; message: string }[] } = refused.body;
  return { id, position, riskTier, deployedVersion, names, refusedStatus: refused.status, problem };
}
`,
      );
      // Wrong calls must not type-check: proves the types carry the document's constraints.
      writeFileSync(
        join(dir, 'wrong-calls.ts'),
        `import type { paths } from './api.js';
type RegisterBody = paths['/api/v1/models']['post']['requestBody']['content']['application/json'];
// @ts-expect-error riskTier is required
export const missing: RegisterBody = { name: 'x', type: 'classification' };
// @ts-expect-error type is one of the model types
export const unknownType: RegisterBody = { name: 'x', type: 'spreadsheet', riskTier: 'high' };
`,
      );
      writeFileSync(
        join(dir, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', lib: ['ES2023', 'DOM'], types: [], strict: true, noUncheckedIndexedAccess: true, outDir: 'out', skipLibCheck: false },
          files: ['api.d.ts', 'calls.ts', 'wrong-calls.ts'],
        }),
      );
      writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
      const compiled = await run(process.execPath, [TSC, '-p', dir]).then(
        () => ({ ok: true, output: '' }),
        (error: { stdout?: string }) => ({ ok: false, output: error.stdout ?? String(error) }),
      );
      expect(compiled.output).toBe('');
      expect(compiled.ok).toBe(true);

      const { calls } = (await import(pathToFileURL(join(dir, 'out', 'calls.js')).href)) as { calls(base: string, token: string): Promise<Record<string, unknown>> };
      const answered = await calls(baseUrl, await server.tokenFor('data_scientist'));
      expect(answered).toMatchObject({ riskTier: 'high', deployedVersion: null, names: ['credit scoring'], refusedStatus: 400, problem: { title: 'Invalid request', status: 400 } });
      expect((answered.problem as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain('body.name');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
