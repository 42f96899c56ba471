import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { buildApp } from '../src/api/app.js';
import { loadConfig } from '../src/platform/config.js';
import type { Passage } from '../src/processors/llm/llm-provider.js';
import { startRuntime } from '../src/runtime.js';
import { MockLlmProvider } from '../tests/support/mock-llm-provider.js';

/**
 * Chat turn overhead beyond the provider's time: POST /api/v1/chat over loopback HTTP with an
 * OpenAI-compatible configuration pointing at the mock provider, non-streaming; each turn's wall
 * time seen by the client minus the provider call's own time (the turn's `latencyMs.provider`).
 * What remains is auth, validation, reading the session and configuration streams, retrieval
 * (an in-memory retriever over 200 passages, k = 5), prompt rendering, sealing question, prompt
 * and answer, recording chat.turn-recorded, and HTTP. Sessions of 10 turns (history read and
 * decrypted from the 2nd turn on). 30 warm-up turns, then TURNS measured, one at a time.
 * `httpFloorP95Ms`: p95 of 100 authenticated GET /api/v1/llm/providers first (no ledger write).
 */
const DATABASE_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const TURNS = Number(process.env.BENCH_CHAT_TURNS ?? 400);
const WARMUP = 30;
const TURNS_PER_SESSION = 10;
const TARGET_P95_MS = 30;

const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;

const PASSAGES: Passage[] = Array.from({ length: 200 }, (_, i) => ({
  documentId: `doc-${i % 40}`,
  chunkId: `chunk-${i}`,
  score: 0,
  text: `Section ${i}: personal records of category ${i % 7} are kept for ${(i % 9) + 1} years; access needs approval by the data protection officer and is logged.`,
}));
const retrieve = async (query: { text: string; k: number }) => {
  const words = new Set(query.text.toLowerCase().split(/\W+/));
  return PASSAGES.map((p) => ({ ...p, score: p.text.toLowerCase().split(/\W+/).filter((w) => words.has(w)).length / words.size }))
    .sort((a, b) => b.score - a.score)
    .slice(0, query.k);
};

async function measure(dialect: 'postgres' | 'pglite', mock: MockLlmProvider) {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-bench-chat-'));
  const schema = `bench_chat_${randomBytes(4).toString('hex')}`;
  const config = loadConfig({
    RAIA_DATA_DIR: dataDir, LOG_LEVEL: 'silent', DATABASE_SCHEMA: schema, RAIA_SEAL_CRON: 'off', RAIA_COMPLIANCE_PACKS: 'on-demand',
    RAIA_LLM_ALLOWED_ADDRESSES: '127.0.0.1/32', ...(dialect === 'postgres' ? { DATABASE_URL } : {}),
  });
  const runtime = await startRuntime(config, dialect === 'pglite' ? { pglite: new PGlite() } : {});
  runtime.llm.retriever = retrieve;
  const app = await buildApp(runtime, { logger: false });
  await runtime.projections.ready();
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const userId = randomUUID();
    const { sessionId } = await runtime.identity.sessions.create(userId, 'bench');
    const headers = { authorization: `Bearer ${await runtime.accessTokens.issue({ userId, role: 'data_scientist', sessionId })}`, 'content-type': 'application/json' };
    const post = async (path: string, body: unknown) => (await (await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const configuration = await post('/api/v1/llm/configurations', { name: 'bench', provider: 'openai-compatible', model: 'llama', baseUrl: `${mock.baseUrl}/v1`, apiKey: 'sk-bench-key-000000' });
    // What any authenticated request costs on this machine right now (no ledger write): the floor to read the overhead against.
    const floor: number[] = [];
    for (let i = 0; i < 100; i++) {
      const started = performance.now();
      await (await fetch(`${base}/api/v1/llm/providers`, { headers })).arrayBuffer();
      floor.push(performance.now() - started);
    }
    const overheads: number[] = [];
    const providerTimes: number[] = [];
    const serverOverheads: number[] = [];
    let chatSession: string | undefined;
    for (let i = 0; i < WARMUP + TURNS; i++) {
      if (i % TURNS_PER_SESSION === 0) chatSession = undefined;
      const started = performance.now();
      const turn = await post('/api/v1/chat', { message: `How long are personal records of category ${i % 7} kept?`, ...(chatSession ? { sessionId: chatSession } : { configurationId: configuration.configurationId }) });
      const wall = performance.now() - started;
      if (!turn.turnId) throw new Error(`turn ${i} failed: ${JSON.stringify(turn)}`);
      chatSession = turn.sessionId;
      if (i < WARMUP) continue;
      overheads.push(wall - turn.latencyMs.provider);
      providerTimes.push(turn.latencyMs.provider);
      serverOverheads.push(turn.latencyMs.total - turn.latencyMs.provider);
    }
    const sorted = [...overheads].sort((a, b) => a - b);
    const sortedServer = [...serverOverheads].sort((a, b) => a - b);
    const sortedProvider = [...providerTimes].sort((a, b) => a - b);
    return {
      chatOverheadP50Ms: round(quantile(sorted, 0.5)),
      chatOverheadP95Ms: round(quantile(sorted, 0.95)),
      chatOverheadP99Ms: round(quantile(sorted, 0.99)),
      serverOverheadBeforeRecordP95Ms: round(quantile(sortedServer, 0.95)),
      mockProviderP50Ms: round(quantile(sortedProvider, 0.5)),
      httpFloorP95Ms: round(quantile([...floor].sort((a, b) => a - b), 0.95)),
      turns: TURNS,
    };
  } finally {
    await app.close();
    if (dialect === 'postgres') await runtime.db.knex.raw(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await runtime.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const primaryColumn = 'pglite';

export async function run(): Promise<Record<string, unknown>> {
  const load = loadavg().map((x) => round(x, 2));
  const mock = await new MockLlmProvider().start();
  try {
    console.log(`chat: ${TURNS} turns on PGlite…`);
    const pglite = await measure('pglite', mock);
    console.log(`chat: ${TURNS} turns on PostgreSQL…`);
    const postgres = await measure('postgres', mock);
    return {
      ...pglite,
      postgres,
      chatOverheadP95Ms: Math.max(pglite.chatOverheadP95Ms, postgres.chatOverheadP95Ms),
      chatOverheadP95MsPglite: pglite.chatOverheadP95Ms,
      chatOverheadP95MsPostgres: postgres.chatOverheadP95Ms,
      targetP95Ms: TARGET_P95_MS,
      machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memGiB: round(totalmem() / 2 ** 30, 1), node: process.version, loadAverageAtStart: load.join(' ') },
    };
  } finally {
    await mock.close();
  }
}
