import { randomUUID } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { OpenApiSamples, type JsonSchema } from '../support/openapi-samples.js';

type Parameter = { in: 'path' | 'query' | 'header' | 'cookie'; name: string; required?: boolean; schema?: JsonSchema };
type Operation = { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } };
type OpenApiDocument = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, JsonSchema> } };

/**
 * Text PostgreSQL cannot store, as each place carries it. `expectField`: the value arrives as that
 * text, so the answer must be a 400 naming the field; otherwise only "no 5xx, problem+json".
 */
const HOSTILE = [
  // %00 decodes to U+0000. A raw NUL byte inside a JSON string is not JSON (a 400 from the parser).
  { name: 'NUL', url: 'a%00b', json: '"a\u0000b"', expectField: { url: true, json: false } },
  // A lone high surrogate: in JSON its \ud800 escape; in a URL only as the bytes of its would-be UTF-8 (not valid UTF-8).
  { name: 'lone surrogate', url: 'a%ED%A0%80b', json: JSON.stringify('a\ud800b'), expectField: { url: false, json: true } },
  // In JSON, \u0000 is NUL's escape; in a URL, the six characters `\u0000` are harmless text.
  { name: '\\u0000 escape', url: 'a%5Cu0000b', json: JSON.stringify('a\u0000b'), expectField: { url: false, json: true } },
] as const;

const expectsField = (hostile: (typeof HOSTILE)[number], where: 'url' | 'json') => hostile.expectField[where];

// Every operation of the OpenAPI document, every string parameter and JSON body property: hostile text never answers 5xx.
describe.each(['postgres', 'pglite'] as const)('hostile strings in every operation on %s', (dialect) => {
  let server: TestServer;
  let doc: OpenApiDocument;

  beforeAll(async () => {
    // Rate limits would answer 429 before validation is reached.
    server = await startTestServer(dialect, { RAIA_AUTH_RATE_LIMIT_PER_MINUTE: '1000000', RAIA_STREAM_INGEST_RATE_LIMIT_PER_MINUTE: '1000000' });
    doc = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
  });
  afterAll(async () => {
    await server.close();
  });

  it('answers 400 naming the field, never 5xx, for NUL, lone surrogates and \\u0000 escapes in every path, query and JSON body string', async () => {
    const samples = new OpenApiSamples(doc.components?.schemas);
    const failures: string[] = [];
    let probes = 0;
    const sample = (schema: JsonSchema | undefined) => String(samples.minimal(schema ?? { type: 'string' }));

    for (const [template, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const parameters = operation.parameters ?? [];
        const pathParams = parameters.filter((p) => p.in === 'path');
        const requiredQuery = parameters.filter((p) => p.in === 'query' && p.required);
        const bodySchema = operation.requestBody?.content['application/json']?.schema;
        const minimalBody = bodySchema ? JSON.stringify(samples.minimal(bodySchema)) : undefined;
        const urlWith = (path: Record<string, string>, query: Record<string, string>) => {
          const filled = template.replace(/\{([^}]+)\}/g, (_all, name: string) => path[name] ?? encodeURIComponent(sample(pathParams.find((p) => p.name === name)?.schema)));
          const search = Object.entries({ ...Object.fromEntries(requiredQuery.map((p) => [p.name, encodeURIComponent(sample(p.schema))])), ...query }).map(([k, v]) => `${k}=${v}`);
          return search.length > 0 ? `${filled}?${search.join('&')}` : filled;
        };
        const probe = async (what: string, url: string, payload: string | undefined, field: string | null) => {
          probes++;
          // A fresh session per request: an operation may end the caller's session (logout).
          const token = await server.tokenFor('admin');
          const res = await server.app.inject({ method: method.toUpperCase() as 'GET', url, headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(payload !== undefined ? { payload } : {}) });
          const body = res.body.slice(0, 300);
          const label = `${method.toUpperCase()} ${template} ${what}`;
          if (res.statusCode >= 500) failures.push(`${label}: ${res.statusCode} ${body}`);
          else if (res.statusCode >= 400 && !String(res.headers['content-type']).startsWith('application/problem+json')) failures.push(`${label}: ${res.statusCode} not problem+json: ${body}`);
          else if (field !== null) {
            const named = res.statusCode === 400 && ((res.json() as { errors?: { field: string }[] }).errors ?? []).some((e) => e.field === field);
            if (!named) failures.push(`${label}: expected 400 naming ${field}, got ${res.statusCode} ${body}`);
          }
        };

        for (const hostile of HOSTILE) {
          for (const p of parameters) {
            if ((p.in !== 'path' && p.in !== 'query') || !samples.acceptsString(p.schema ?? { type: 'string' })) continue;
            const url = p.in === 'path' ? urlWith({ [p.name]: hostile.url }, {}) : urlWith({}, { [p.name]: hostile.url });
            await probe(`${p.in} ${p.name} (${hostile.name})`, url, minimalBody, expectsField(hostile, 'url') ? `${p.in === 'path' ? 'params' : 'query'}.${p.name}` : null);
          }
          if (!bodySchema) continue;
          for (const leaf of samples.stringLeaves(bodySchema)) {
            const marker = `@@${randomUUID()}@@`;
            const payload = JSON.stringify(leaf.build(marker)).replace(JSON.stringify(marker), hostile.json);
            await probe(`body ${leaf.path.join('.') || '(root)'} (${hostile.name})`, urlWith({}, {}), payload, expectsField(hostile, 'json') ? ['body', ...leaf.path].join('.') : null);
          }
        }
      }
    }
    expect(probes).toBeGreaterThan(500);
    expect(failures).toEqual([]);
  });

  it('keeps well-formed text: emoji (surrogate pairs) are stored and read back; a lone low surrogate is refused', async () => {
    const headers = { authorization: `Bearer ${await server.tokenFor('admin')}`, 'content-type': 'application/json' };
    const created = await server.app.inject({ method: 'POST', url: '/api/v1/models', headers, payload: JSON.stringify({ name: 'credit 🙂 model', type: 'regression', riskTier: 'minimal', tags: ['𝔣𝔞𝔦𝔯'] }) });
    expect(created.statusCode, created.body).toBe(201);
    const read = await server.app.inject({ method: 'GET', url: `/api/v1/models/${created.json().id}`, headers: { authorization: headers.authorization, 'x-min-position': String(created.json().position) } });
    expect(read.json()).toMatchObject({ name: 'credit 🙂 model', tags: ['𝔣𝔞𝔦𝔯'] });
    const low = await server.app.inject({ method: 'POST', url: '/api/v1/models', headers, payload: '{"name":"a\\udc00b","type":"regression","riskTier":"minimal"}' });
    expect(low.statusCode, low.body).toBe(400);
    expect(low.json().errors).toEqual([{ field: 'body.name', message: 'contains an unpaired UTF-16 surrogate, which is not valid Unicode text' }]);
  });

  it('refuses JSON nested deeper than PostgreSQL and recursive code can take, 400 naming where', async () => {
    const depth = 20_000;
    const payload = `{"dataContains":{"a":${'{"a":'.repeat(depth)}1${'}'.repeat(depth + 1)}}`;
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/audit/search', headers: { authorization: `Bearer ${await server.tokenFor('auditor')}`, 'content-type': 'application/json' }, payload });
    expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
    expect(res.json().errors[0]).toEqual({ field: `body.dataContains${'.a'.repeat(100)}`, message: 'is nested deeper than 100 levels' });
  });

  // Multipart parts are streamed past the request-wide check: their text is checked as they are read.
  describe('multipart uploads', () => {
    const blobFiles = (): string[] => {
      const root = join(server.dataDir, 'blobs');
      try {
        return readdirSync(root, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
      } catch {
        return [];
      }
    };
    /** A multipart/form-data body built by hand, so any bytes can go into a field or a filename. */
    const multipart = (parts: { name: string; filename?: string; value: string }[]) => {
      const boundary = `----raia${randomUUID()}`;
      const chunks = parts.map((p) => `--${boundary}\r\ncontent-disposition: form-data; name="${p.name}"${p.filename !== undefined ? `; filename="${p.filename}"\r\ncontent-type: application/octet-stream` : ''}\r\n\r\n${p.value}\r\n`);
      return { payload: Buffer.from(`${chunks.join('')}--${boundary}--\r\n`, 'utf8'), contentType: `multipart/form-data; boundary=${boundary}` };
    };
    const upload = async (url: string, parts: Parameters<typeof multipart>[0]) => {
      const { payload, contentType } = multipart(parts);
      return server.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${await server.tokenFor('admin')}`, 'content-type': contentType }, payload });
    };
    const csv = 'a,b\n1,2\n3,4\n';
    const linearModel = JSON.stringify({ format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a'], coefficients: [1], intercept: 0 });
    const linearMetadata = { format: 'raia-linear/v1', task: 'regression', inputSchema: [{ name: 'a', type: 'number' }] };

    it.each([
      ['a \\u0000 escape in the metadata JSON', [{ name: 'metadata', value: JSON.stringify({ name: 'a\u0000b' }) }, { name: 'file', filename: 'd.csv', value: csv }], 'body.metadata.name'],
      ['a lone surrogate escape in the metadata JSON', [{ name: 'metadata', value: JSON.stringify({ name: 'd', tags: ['a\ud800'] }) }, { name: 'file', filename: 'd.csv', value: csv }], 'body.metadata.tags.0'],
      ['a raw NUL in the metadata field', [{ name: 'metadata', value: '{"name":"a\u0000"}' }, { name: 'file', filename: 'd.csv', value: csv }], 'body.metadata'],
      ['a NUL in the filename', [{ name: 'metadata', value: JSON.stringify({ name: 'd' }) }, { name: 'file', filename: 'd\u0000.csv', value: csv }], 'body.file.filename'],
    ] as const)('a dataset upload with %s is refused naming the field, nothing stored or recorded', async (_what, parts, field) => {
      const before = await server.runtime.store.head();
      const res = await upload('/api/v1/datasets/upload', [...parts]);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
      expect(res.json().errors).toContainEqual({ field, message: expect.stringMatching(/NUL|surrogate/) });
      expect(blobFiles()).toEqual([]);
      expect((await server.runtime.store.head()).position).toBe(before.position);
    });

    it.each([
      ['a \\u0000 escape in the metadata JSON', [{ name: 'metadata', value: JSON.stringify({ ...linearMetadata, notes: 'a\u0000b' }) }, { name: 'artifact', filename: 'm.json', value: linearModel }], 'body.metadata.notes'],
      ['a lone surrogate escape in a feature name', [{ name: 'metadata', value: JSON.stringify({ ...linearMetadata, inputSchema: [{ name: 'a\udc00', type: 'number' }] }) }, { name: 'artifact', filename: 'm.json', value: linearModel }], 'body.metadata.inputSchema.0.name'],
      ['a NUL in the filename', [{ name: 'metadata', value: JSON.stringify(linearMetadata) }, { name: 'artifact', filename: 'm\u0000.json', value: linearModel }], 'body.artifact.filename'],
    ] as const)('a model version upload with %s is refused naming the field, nothing stored or recorded', async (_what, parts, field) => {
      const model = await server.app.inject({ method: 'POST', url: '/api/v1/models', headers: { authorization: `Bearer ${await server.tokenFor('admin')}` }, payload: { name: 'm', type: 'regression', riskTier: 'minimal' } });
      expect(model.statusCode, model.body).toBe(201);
      const before = await server.runtime.store.head();
      const res = await upload(`/api/v1/models/${model.json().id}/versions`, [...parts]);
      expect(res.statusCode, res.body.slice(0, 300)).toBe(400);
      expect(res.json().errors).toContainEqual({ field, message: expect.stringMatching(/NUL|surrogate/) });
      expect(blobFiles()).toEqual([]);
      expect((await server.runtime.store.head()).position).toBe(before.position);
    });
  });
});
