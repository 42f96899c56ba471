import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MOCK, MockLlmProvider } from '../support/mock-llm-provider.js';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const OPENAI_KEY = 'sk-openai-SECRET-0123456789-abcd';
const ANTHROPIC_KEY = 'sk-ant-SECRET-9876543210-wxyz';
const REPLACED_KEY = 'sk-openai-SECRET-replaced-9999';
const ENV_KEY = 'sk-env-SECRET-5555-from-environment';

describe.each(['postgres', 'pglite'] as const)('LLM configurations over HTTP on %s', (dialect) => {
  const mock = new MockLlmProvider();
  let server: TestServer;
  let base: string;
  let scientist: Record<string, string>;
  let auditor: Record<string, string>;
  /** Every response body this test received, to prove no key ever left the server. */
  const seen: string[] = [];

  const call = async (method: string, path: string, body?: unknown, headers = scientist) => {
    const res = await fetch(`${base}${path}`, { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    seen.push(text);
    return { status: res.status, type: res.headers.get('content-type') ?? '', body: (text ? JSON.parse(text) : null) as Json };
  };
  const head = async () => (await server.runtime.store.head()).position;
  const keyRows = async () => Number(((await server.runtime.db.knex('raia_llm_api_keys').count({ n: '*' })) as { n: string }[])[0]!.n);
  const fresh = (position: number) => ({ ...scientist, 'x-min-position': String(position) });

  beforeAll(async () => {
    await mock.start();
    server = await startTestServer(dialect, { RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', RAIA_LLM_MAX_RETRIES: '1', RAIA_LLM_TIMEOUT_MS: '2000' });
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    scientist = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
    auditor = { authorization: `Bearer ${await server.tokenFor('auditor')}` };
  });
  afterEach(() => mock.reset());
  afterAll(async () => {
    server.app.server.closeAllConnections();
    await server.close();
    await mock.close();
  });

  it('lists the providers: two wire formats and the offline raia-extractive, which says it is not a language model', async () => {
    const res = await call('GET', '/api/v1/llm/providers', undefined, auditor);
    expect(res.status).toBe(200);
    const byId = Object.fromEntries(res.body.providers.map((p: Json) => [p.id, p]));
    expect(Object.keys(byId).sort()).toEqual(['anthropic', 'openai', 'openai-compatible', 'raia-extractive']);
    expect(byId.anthropic).toMatchObject({ wireFormat: 'anthropic', defaultBaseUrl: 'https://api.anthropic.com', apiKey: 'required' });
    expect(byId['raia-extractive']).toMatchObject({ wireFormat: 'extractive', isLanguageModel: false, apiKey: 'none' });
  });

  it('creates, changes, replaces the key of and deletes a configuration; the key is shown masked and destroyed with it', async () => {
    const created = await call('POST', '/api/v1/llm/configurations', { name: 'Local vLLM', provider: 'openai-compatible', model: 'llama-3.1-8b', baseUrl: `${mock.baseUrl}/v1`, apiKey: OPENAI_KEY, parameters: { temperature: 0.1, maxTokens: 200 } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const id = created.body.configurationId as string;
    let listed = await call('GET', '/api/v1/llm/configurations', undefined, { ...auditor, 'x-min-position': String(created.body.position) });
    let mine = listed.body.configurations.find((c: Json) => c.configurationId === id);
    expect(mine).toMatchObject({ name: 'Local vLLM', provider: 'openai-compatible', model: 'llama-3.1-8b', active: true, isLanguageModel: true, apiKey: { source: 'stored', masked: '••••abcd' }, parameters: { temperature: 0.1, maxTokens: 200 } });
    expect(mine.promptTemplate).toContain('{{question}}');

    const changed = await call('PUT', `/api/v1/llm/configurations/${id}`, { model: 'llama-3.1-70b' });
    expect(changed.body).toMatchObject({ changed: true });
    const before = await head();
    const same = await call('PUT', `/api/v1/llm/configurations/${id}`, { model: 'llama-3.1-70b' });
    expect(same.body).toMatchObject({ changed: false });
    expect(await head()).toBe(before);

    const replaced = await call('PUT', `/api/v1/llm/configurations/${id}`, { apiKey: REPLACED_KEY });
    expect(replaced.status).toBe(200);
    listed = await call('GET', '/api/v1/llm/configurations', undefined, fresh(replaced.body.position));
    mine = listed.body.configurations.find((c: Json) => c.configurationId === id);
    expect(mine).toMatchObject({ model: 'llama-3.1-70b', apiKey: { source: 'stored', masked: '••••9999' } });
    expect(Number(((await server.runtime.db.knex('raia_llm_api_keys').where('configuration_id', id).count({ n: '*' })) as { n: string }[])[0]!.n)).toBe(1);

    const deleted = await call('DELETE', `/api/v1/llm/configurations/${id}`);
    expect(deleted.body).toMatchObject({ configurationId: id, deleted: true });
    listed = await call('GET', '/api/v1/llm/configurations', undefined, fresh(deleted.body.position));
    expect(listed.body.configurations.some((c: Json) => c.configurationId === id)).toBe(false);
    expect(Number(((await server.runtime.db.knex('raia_llm_api_keys').where('configuration_id', id).count({ n: '*' })) as { n: string }[])[0]!.n)).toBe(0);
    expect((await call('PUT', `/api/v1/llm/configurations/${id}`, { model: 'x' })).status).toBe(404);
    expect((await call('DELETE', `/api/v1/llm/configurations/${id}`)).status).toBe(404);

    const types = (await server.runtime.store.readStream(`llm-configuration-${id}`)).map((e) => e.type);
    expect(types).toEqual(['llm.configuration-created', 'llm.configuration-updated', 'llm.configuration-updated', 'llm.configuration-deleted']);
  });

  it('refuses bad input with 400 naming the field, and records nothing', async () => {
    const before = await head();
    const keysBefore = await keyRows();
    const good = { name: 'Bad input probe', provider: 'openai-compatible', model: 'm', baseUrl: `${mock.baseUrl}/v1` };
    const cases: [Json, string][] = [
      [{ ...good, provider: 'skynet' }, 'body.provider'],
      [{ ...good, baseUrl: 'http://10.0.0.1:8000/v1' }, 'body.baseUrl'], // private
      [{ ...good, baseUrl: 'http://169.254.169.254/latest' }, 'body.baseUrl'], // cloud metadata
      [{ ...good, baseUrl: 'http://[fd00:ec2::254]/v1' }, 'body.baseUrl'], // AWS IPv6 metadata
      [{ ...good, baseUrl: 'http://127.0.0.2:9/v1' }, 'body.baseUrl'], // loopback outside the allow-list
      [{ ...good, baseUrl: 'file:///etc/passwd' }, 'body.baseUrl'],
      [{ ...good, baseUrl: `http://user:pw@127.0.0.1:9/v1` }, 'body.baseUrl'],
      [{ ...good, provider: 'openai', baseUrl: undefined }, 'body.apiKey'], // OpenAI needs a key
      [{ ...good, apiKeyEnv: 'DATABASE_URL' }, 'body.apiKeyEnv'], // not any variable may be named
      [{ ...good, promptTemplate: 'Tell me about {{passages}}' }, 'body.promptTemplate'],
      [{ ...good, promptTemplate: '{{question}} {{secrets}}' }, 'body.promptTemplate'],
      [{ ...good, provider: 'raia-extractive', model: 'raia-extractive-1', apiKey: OPENAI_KEY }, 'body.apiKey'],
      [{ ...good, parameters: { temperature: 7 } }, 'body.parameters.temperature'],
      [{ ...good, surprise: 1 }, 'body'],
      [{ ...good, apiKey: OPENAI_KEY, apiKeyEnv: 'OPENAI_API_KEY' }, 'body.apiKeyEnv'],
    ];
    for (const [body, field] of cases) {
      const res = await call('POST', '/api/v1/llm/configurations', body);
      expect(res.status, `${JSON.stringify(body)} → ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.errors.map((e: Json) => e.field).some((f: string) => f.startsWith(field)), `${field} in ${JSON.stringify(res.body.errors)}`).toBe(true);
    }
    expect(await head()).toBe(before);
    expect(await keyRows()).toBe(keysBefore);
  });

  it('a stored key cannot be redirected: changing the base URL needs the key again', async () => {
    const created = await call('POST', '/api/v1/llm/configurations', { name: 'Redirect probe', provider: 'openai-compatible', model: 'm', baseUrl: `${mock.baseUrl}/v1`, apiKey: OPENAI_KEY });
    const before = await head();
    const moved = await call('PUT', `/api/v1/llm/configurations/${created.body.configurationId}`, { baseUrl: `${mock.baseUrl}/other/v1` });
    expect(moved.status).toBe(400);
    expect(moved.body.errors[0].field).toBe('body.apiKey');
    expect(await head()).toBe(before);
    const withKey = await call('PUT', `/api/v1/llm/configurations/${created.body.configurationId}`, { baseUrl: `${mock.baseUrl}/other/v1`, apiKey: REPLACED_KEY });
    expect(withKey.status).toBe(200);
    const name = await call('POST', '/api/v1/llm/configurations', { name: 'redirect PROBE', provider: 'raia-extractive', model: 'raia-extractive-1' });
    expect(name.status).toBe(409);
  });

  it('test-configuration really calls the provider: latency, resolved model, usage and cost; records nothing', async () => {
    const created = await call('POST', '/api/v1/llm/configurations', { name: 'Priced', provider: 'openai-compatible', model: 'llama', baseUrl: `${mock.baseUrl}/v1`, apiKey: OPENAI_KEY, pricing: { inputPerMillion: 1, outputPerMillion: 2 } });
    const before = await head();
    const tested = await call('POST', '/api/v1/llm/test-configuration', { configurationId: created.body.configurationId });
    expect(tested.status, JSON.stringify(tested.body)).toBe(200);
    // 11 input tokens × $1/M + 7 output × $2/M = $25/M.
    expect(tested.body).toMatchObject({ ok: true, provider: 'openai-compatible', model: 'llama', resolvedModel: MOCK.openAiModel, usage: { inputTokens: 11, outputTokens: 7 }, costUsd: 0.000025, reply: MOCK.text, isLanguageModel: true });
    expect(tested.body.latencyMs).toBeGreaterThan(0);
    expect(mock.requests[0]!.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`);
    expect(mock.requests[0]!.body.model).toBe('llama');

    const draft = await call('POST', '/api/v1/llm/test-configuration', { provider: 'anthropic', model: 'claude-3-5-haiku-latest', baseUrl: mock.baseUrl, apiKey: ANTHROPIC_KEY });
    expect(draft.body).toMatchObject({ resolvedModel: MOCK.anthropicModel, usage: { inputTokens: 11, outputTokens: 7 } });
    // claude-3-5-haiku list price: 11 × 0.80 + 7 × 4 = 36.8 millionths.
    expect(draft.body.costUsd).toBeCloseTo(0.0000368, 12);
    expect(mock.requests[1]!.headers['x-api-key']).toBe(ANTHROPIC_KEY);

    const offline = await call('POST', '/api/v1/llm/test-configuration', { provider: 'raia-extractive', model: 'raia-extractive-1' });
    expect(offline.body).toMatchObject({ isLanguageModel: false, resolvedModel: 'raia-extractive-1', costUsd: 0 });
    expect(await head()).toBe(before);
  });

  it('test-configuration reports the provider\'s error as problem+json: 401, persistent 500, malformed JSON, timeout', async () => {
    const draft = { provider: 'openai-compatible', model: 'llama', baseUrl: `${mock.baseUrl}/v1`, apiKey: OPENAI_KEY };
    mock.enqueue({ status: 401, body: JSON.stringify({ error: { message: 'Invalid API key' } }) });
    let res = await call('POST', '/api/v1/llm/test-configuration', draft);
    expect(res.status).toBe(502);
    expect(res.type).toContain('application/problem+json');
    expect(res.body).toMatchObject({ type: 'https://raia.dev/problems/llm-provider-error', failure: 'rejected-request', upstreamStatus: 401 });
    expect(res.body.detail).toContain('Invalid API key');

    mock.enqueue({ status: 500 }, { status: 500 });
    res = await call('POST', '/api/v1/llm/test-configuration', draft);
    expect(res.body).toMatchObject({ status: 502, failure: 'upstream-error', upstreamStatus: 500, attempts: 2 });

    mock.enqueue({ status: 200, body: 'not json at all' });
    res = await call('POST', '/api/v1/llm/test-configuration', draft);
    expect(res.body).toMatchObject({ status: 502, failure: 'malformed-response' });

    mock.enqueue({ delayMs: 1500 }, { delayMs: 1500 });
    res = await call('POST', '/api/v1/llm/test-configuration', { ...draft, parameters: { timeoutMs: 200 } });
    expect(res.status).toBe(504);
    expect(res.body).toMatchObject({ failure: 'timeout' });

    res = await call('POST', '/api/v1/llm/test-configuration', { ...draft, baseUrl: 'http://192.168.0.10/v1' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('body.baseUrl');
    expect((await call('POST', '/api/v1/llm/test-configuration', { configurationId: '0193f0c2-0000-7000-8000-000000000000' })).status).toBe(404);
  });

  it('a key named as an environment variable is read from it when calling, and a missing variable is a 409', async () => {
    const created = await call('POST', '/api/v1/llm/configurations', { name: 'From env', provider: 'openai-compatible', model: 'llama', baseUrl: `${mock.baseUrl}/v1`, apiKeyEnv: 'RAIA_LLM_KEY_TEST' });
    expect(created.status).toBe(201);
    const listed = await call('GET', '/api/v1/llm/configurations', undefined, fresh(created.body.position));
    expect(listed.body.configurations.find((c: Json) => c.configurationId === created.body.configurationId).apiKey).toEqual({ source: 'env', variable: 'RAIA_LLM_KEY_TEST' });
    expect((await call('POST', '/api/v1/llm/test-configuration', { configurationId: created.body.configurationId })).status).toBe(409);
    process.env.RAIA_LLM_KEY_TEST = ENV_KEY;
    try {
      expect((await call('POST', '/api/v1/llm/test-configuration', { configurationId: created.body.configurationId })).status).toBe(200);
      expect(mock.requests.at(-1)!.headers.authorization).toBe(`Bearer ${ENV_KEY}`);
    } finally {
      delete process.env.RAIA_LLM_KEY_TEST;
    }
  });

  it('no key is in any event, read model row or response; the vault holds them only sealed', async () => {
    const events = JSON.stringify(await server.runtime.store.readAll({ limit: 100_000 }));
    const rows = JSON.stringify(await server.runtime.db.knex('llm_configurations').select('*'));
    const vault = JSON.stringify(await server.runtime.db.knex('raia_llm_api_keys').select('*'));
    for (const key of [OPENAI_KEY, ANTHROPIC_KEY, REPLACED_KEY, ENV_KEY]) {
      for (const [where, text] of [['events', events], ['read model', rows], ['vault', vault], ['responses', seen.join('\n')]] as const) {
        expect(text.includes(key), `${key} in ${where}`).toBe(false);
        expect(text.includes('SECRET'), `part of a key in ${where}`).toBe(false);
      }
    }
    expect(events).toContain('llm.configuration-created');
  });
});
