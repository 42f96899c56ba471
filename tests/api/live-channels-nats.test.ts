import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { connect } from 'nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/api/app.js';
import { startRuntime, type Runtime } from '../../src/runtime.js';
import { openSocket, type TestSocket } from '../support/live-clients.js';
import { testConfig } from '../support/test-runtime.js';

const NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';

type Node = { runtime: Runtime; app: FastifyInstance; base: string; dataDir: string; connections: Set<Socket> };

describe('two API nodes on one ledger and one NATS each serve their own live clients', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const suffix = randomBytes(4).toString('hex');
  const nodes: Node[] = [];
  const sockets: TestSocket[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'raia-live-nats-'));
      const config = testConfig('postgres', dataDir, schema, { NATS_URL, NATS_STREAM: `RAIA_LIVE_TEST_${suffix}`, NATS_SUBJECT_PREFIX: `raia.livetest${suffix}`, NATS_SEAL_STREAM: 'off' });
      const runtime = await startRuntime(config);
      const app = await buildApp(runtime, { logger: false });
      const connections = new Set<Socket>();
      app.server.on('connection', (c: Socket) => connections.add(c));
      await runtime.projections.ready();
      nodes.push({ runtime, app, base: await app.listen({ port: 0, host: '127.0.0.1' }), dataDir, connections });
    }
  }, 120_000);
  afterAll(async () => {
    for (const s of sockets) s.socket.terminate();
    for (const node of nodes) {
      for (const c of node.connections) c.destroy();
      await node.app.close();
    }
    await nodes[0]?.runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const node of nodes) {
      await node.runtime.close();
      rmSync(node.dataDir, { recursive: true, force: true });
    }
    const nc = await connect({ servers: NATS_URL });
    await (await nc.jetstreamManager()).streams.delete(`RAIA_LIVE_TEST_${suffix}`).catch(() => false);
    await nc.close();
  }, 60_000);

  it('an event committed through node A reaches the clients of node A and of node B, once each, woken by NATS', async () => {
    const [a, b] = nodes as [Node, Node];
    const token = async (node: Node) => {
      const userId = randomUUID();
      const { sessionId } = await node.runtime.identity.sessions.create(userId, 'vitest');
      return node.runtime.accessTokens.issue({ userId, role: 'data_scientist', sessionId });
    };
    const clientOf = async (node: Node) => {
      const s = await openSocket(`${node.base.replace('http:', 'ws:')}/ws/model-updates`, { headers: { authorization: `Bearer ${await token(node)}` } });
      sockets.push(s);
      s.send({ type: 'subscribe' });
      await s.next((f) => f.type === 'subscribed');
      return s;
    };
    const [onA, onB] = [await clientOf(a), await clientOf(b)];
    const noticesBefore = b.runtime.live.feed.counters().busNotices;
    const created = await fetch(`${a.base}/api/v1/models`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await token(a)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `two nodes ${randomUUID()}`, type: 'classification', riskTier: 'minimal' }),
    });
    expect(created.status).toBe(201);
    const { id, position } = (await created.json()) as { id: string; position: number };
    for (const client of [onA, onB]) {
      const frame = await client.next((f) => f.type === 'event' && f.event.data.modelId === id, 10_000);
      expect(frame.position).toBe(position);
    }
    // Node B heard of it through NATS (the relay's publish), not by sharing memory with node A.
    expect(b.runtime.bus.kind).toBe('nats');
    expect(b.runtime.live.feed.counters().busNotices).toBeGreaterThan(noticesBefore);
    await new Promise((r) => setTimeout(r, 500));
    for (const client of [onA, onB]) expect(client.frames.filter((f) => f.type === 'event' && f.event.data.modelId === id)).toHaveLength(1);
  });
});
