import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const invoiceSchema = {
  type: 'object',
  required: ['invoiceId', 'amount', 'currency'],
  additionalProperties: false,
  properties: { invoiceId: { type: 'string', format: 'uuid' }, amount: { type: 'number', minimum: 0 }, currency: { enum: ['EUR', 'USD'] } },
};

describe.each(['postgres', 'pglite'] as const)('external events published on %s', (dialect) => {
  let server: TestServer;
  let dir: string;
  const publisherId = randomUUID();
  let publisher: Record<string, string>;
  let outsider: Record<string, string>;

  const publish = async (body: unknown, headers = publisher) => {
    const res = await server.app.inject({ method: 'POST', url: '/api/v1/events/publish', headers, payload: body as Json });
    return { status: res.statusCode, type: res.headers['content-type'], body: res.json() as Json };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'raia-schemas-'));
    const file = join(dir, 'event-schemas.json');
    writeFileSync(file, JSON.stringify({ publishers: { 'acme-billing': { publisherIds: [publisherId], types: { 'invoice.issued': invoiceSchema } } } }));
    server = await startTestServer(dialect, { RAIA_EVENT_SCHEMAS_FILE: file });
    const { sessionId } = await server.runtime.identity.sessions.create(publisherId, 'vitest');
    publisher = { authorization: `Bearer ${await server.runtime.accessTokens.issue({ userId: publisherId, role: 'data_scientist', sessionId })}` };
    outsider = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a valid event in the publisher\'s stream, hash-chained, once per publisher id', async () => {
    const invoice = { invoiceId: randomUUID(), amount: 120.5, currency: 'EUR' };
    const first = await publish({ namespace: 'acme-billing', type: 'invoice.issued', id: 'inv-1', data: invoice });
    expect(first.status, JSON.stringify(first.body)).toBe(201);
    expect(first.body.duplicate).toBe(false);
    const [stored] = await server.runtime.store.readStream('external-acme-billing');
    expect(stored).toMatchObject({ id: first.body.eventId, position: first.body.position, type: 'external.event-published', data: { namespace: 'acme-billing', type: 'invoice.issued', externalId: 'inv-1', payload: invoice } });
    expect(stored!.data.schemaSha256).toMatch(/^[0-9a-f]{64}$/);
    const again = await publish({ namespace: 'acme-billing', type: 'invoice.issued', id: 'inv-1', data: invoice });
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    expect(await server.runtime.store.readStream('external-acme-billing')).toHaveLength(1);
    const verified = await server.runtime.store.verify();
    expect(verified.ok).toBe(true);
    expect(verified.checked).toBeGreaterThanOrEqual(first.body.position);
  });

  it('refuses what the registry does not admit, naming the field, and records nothing', async () => {
    const head = (await server.runtime.store.head()).position;
    const bad = await publish({ namespace: 'acme-billing', type: 'invoice.issued', data: { invoiceId: 'nope', amount: -1, currency: 'EUR', extra: true } });
    expect(bad.status).toBe(400);
    expect(bad.type).toContain('application/problem+json');
    const fields = (bad.body.errors as Json[]).map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.data.invoiceId', 'body.data.amount', 'body.data']));
    const unknownType = await publish({ namespace: 'acme-billing', type: 'invoice.voided', data: {} });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.errors[0].field).toBe('body.type');
    const unknownNamespace = await publish({ namespace: 'globex', type: 'invoice.issued', data: {} });
    expect(unknownNamespace.body.errors[0].field).toBe('body.namespace');
    const notAPublisher = await publish({ namespace: 'acme-billing', type: 'invoice.issued', data: { invoiceId: randomUUID(), amount: 1, currency: 'USD' } }, outsider);
    expect(notAPublisher.status).toBe(403);
    expect((await server.runtime.store.head()).position).toBe(head);
  });
});
