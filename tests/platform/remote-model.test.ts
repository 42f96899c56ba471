import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RemoteScoringError, remoteScoringModel } from '../../src/platform/remote-model.js';

type ScoringRequest = { featureNames: string[]; instances: (number | null)[][] };
type Handler = (request: ScoringRequest, req: IncomingMessage, res: ServerResponse, call: number) => void | Promise<void>;

// One real HTTP server on loopback for the file; each test installs its own handler.
let server: Server;
let url: string;
let handler: Handler;
let calls: ScoringRequest[] = [];
let inFlight = 0;
let maxInFlight = 0;

const linear = (row: (number | null)[]) => 2 * (row[0] ?? 0) - 3 * (row[1] ?? 0) + 1;
const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const regressionAnswer: Handler = (request, _req, res) => json(res, 200, { predictions: request.instances.map(linear) });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as ScoringRequest;
      calls.push(request);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      res.on('close', () => inFlight--);
      void handler(request, req, res, calls.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/score?key=secret`;
});

afterEach(() => {
  calls = [];
  inFlight = 0;
  maxInFlight = 0;
  // Connections stay open between tests: closing them here would leave fetch's pool holding
  // dead keep-alive sockets, and the next test's first POST would meet a reset of our making.
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const rows = (n: number) => Float64Array.from({ length: n * 2 }, (_, i) => (i % 2 === 0 ? i / 2 : (i * 7) % 11));

async function failure(promise: Promise<unknown>): Promise<RemoteScoringError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RemoteScoringError);
  return error as RemoteScoringError;
}

describe('remoteScoringModel', () => {
  it('scores in batches of maxBatchRows, at most two at a time, and keeps row order', async () => {
    handler = async (request, req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 30));
      regressionAnswer(request, req, res, 0);
    };
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'], maxBatchRows: 100 });
    const features = rows(450);
    const out = await model.score(features, 450);
    expect(out.probabilities).toBeNull();
    for (let i = 0; i < 450; i++) expect(out.predictions[i]).toBe(2 * features[2 * i]! - 3 * features[2 * i + 1]! + 1);
    expect(calls.map((c) => c.instances.length).sort((a, b) => a - b)).toEqual([50, 100, 100, 100, 100]);
    expect(maxInFlight).toBe(2);
  });

  it('sends featureNames, NaN as null and the configured headers', async () => {
    let authorization: string | undefined;
    handler = (request, req, res) => {
      authorization = req.headers.authorization;
      regressionAnswer(request, req, res, 0);
    };
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'], headers: { authorization: 'Bearer t0k3n' } });
    const out = await model.score(Float64Array.of(1, NaN, 2, 3), 2);
    expect(calls).toEqual([{ featureNames: ['x0', 'x1'], instances: [[1, null], [2, 3]] }]);
    expect(authorization).toBe('Bearer t0k3n');
    expect(Array.from(out.predictions)).toEqual([3, -4]);
  });

  it('maps classification labels to class indexes and keeps the probabilities', async () => {
    handler = (request, _req, res) => {
      const p = request.instances.map((row) => 1 / (1 + Math.exp(-linear(row))));
      json(res, 200, { predictions: p.map((q) => (q > 0.5 ? 'approved' : 'declined')), probabilities: p.map((q) => [1 - q, q]) });
    };
    const model = remoteScoringModel({ url, task: 'binary', featureNames: ['x0', 'x1'], classes: ['declined', 'approved'], maxBatchRows: 2 });
    // z = 1, −2, 3
    const out = await model.score(Float64Array.of(0, 0, 0, 1, 1, 0), 3);
    expect(Array.from(out.predictions)).toEqual([1, 0, 1]);
    const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
    const expected = [1 - sigmoid(1), sigmoid(1), 1 - sigmoid(-2), sigmoid(-2), 1 - sigmoid(3), sigmoid(3)];
    out.probabilities!.forEach((q, i) => expect(q).toBeCloseTo(expected[i]!, 15));
  });

  it('reads numbers as labels first, then as indexes, and gives no probabilities when none are sent', async () => {
    handler = (_request, _req, res) => json(res, 200, { predictions: [2, 0, '1', 3] });
    const model = remoteScoringModel({ url, task: 'multiclass', featureNames: ['x0', 'x1'], classes: ['1', '2', '3'] });
    const out = await model.score(new Float64Array(8), 4);
    // 2 → label "2" (index 1); 0 → no such label, index 0; "1" → index 0; 3 → label "3" (index 2).
    expect(Array.from(out.predictions)).toEqual([1, 0, 0, 2]);
    expect(out.probabilities).toBeNull();
  });

  it.each([
    ['a body that is not JSON', 'not json', /not JSON/],
    ['too few predictions', { predictions: [1] }, /"predictions" has 1 entries for 2 instances/],
    ['no predictions', { result: [1, 2] }, /"predictions" is not an array/],
    ['a non-numeric regression value', { predictions: [1, 'x'] }, /predictions\[1\] is "x"/],
  ])('refuses %s', async (_name, body, message) => {
    handler = (_request, _req, res) => json(res, 200, body);
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'] });
    const error = await failure(model.score(new Float64Array(4), 2));
    expect(error.message).toMatch(message);
    expect(error.batch).toBe(0);
  });

  it.each([
    ['an unknown label', { predictions: ['maybe'] }, /predictions\[0\] is "maybe"/],
    ['an index out of range', { predictions: [2] }, /predictions\[0\] is 2/],
    ['a probability row of the wrong width', { predictions: [0], probabilities: [[1]] }, /probabilities\[0\] must be an array of 2/],
    ['probabilities that do not sum to 1', { predictions: [0], probabilities: [[0.5, 0.6]] }, /sums to 1.1/],
  ])('refuses a classification answer with %s', async (_name, body, message) => {
    handler = (_request, _req, res) => json(res, 200, body);
    const model = remoteScoringModel({ url, task: 'binary', featureNames: ['x0', 'x1'], classes: ['no', 'yes'] });
    expect((await failure(model.score(new Float64Array(2), 1))).message).toMatch(message);
  });

  it('times out with a RemoteScoringError', async () => {
    handler = async (request, req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      if (!res.destroyed) regressionAnswer(request, req, res, 0);
    };
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'], timeoutMs: 100 });
    const started = Date.now();
    const error = await failure(model.score(new Float64Array(2), 1));
    expect(error.message).toMatch(/did not answer batch 1 of 1 \(rows 0–0\) within 100 ms/);
    expect(Date.now() - started).toBeLessThan(900);
    expect(calls).toHaveLength(1);
  });

  it('retries once after a 503 and succeeds', async () => {
    handler = (request, req, res, call) => (call === 1 ? json(res, 503, { error: 'warming up' }) : regressionAnswer(request, req, res, call));
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'] });
    const out = await model.score(Float64Array.of(1, 1), 1);
    expect(Array.from(out.predictions)).toEqual([0]);
    expect(calls).toHaveLength(2);
  });

  it.each([
    ['reset (RST, ECONNRESET)', (req: IncomingMessage) => req.socket.resetAndDestroy()],
    ['closed without an answer (UND_ERR_SOCKET)', (req: IncomingMessage) => req.socket.destroy()],
  ])('retries once after a connection %s and succeeds', async (_name, drop) => {
    handler = (request, req, res, call) => (call === 1 ? void drop(req) : regressionAnswer(request, req, res, call));
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'] });
    expect(Array.from((await model.score(Float64Array.of(1, 1), 1)).predictions)).toEqual([0]);
    expect(calls).toHaveLength(2);
  });

  it('gives up after a second 502, naming the status', async () => {
    handler = (_request, _req, res) => json(res, 502, { error: 'bad gateway' });
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'] });
    const error = await failure(model.score(Float64Array.of(1, 1), 1));
    expect(error.status).toBe(502);
    expect(error.message).toMatch(/answered 502 Bad Gateway for batch 1 of 1 \(rows 0–0\) after one retry: \{"error":"bad gateway"\}/);
    expect(calls).toHaveLength(2);
  });

  it('does not retry a 500, names the failed batch and never echoes the query string', async () => {
    handler = (request, req, res) => (request.instances[0]![0] === 4 ? json(res, 500, 'boom') : regressionAnswer(request, req, res, 0));
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'], maxBatchRows: 2 });
    // Batches start at rows 0, 2, 4: the third fails.
    const error = await failure(model.score(rows(6), 6));
    expect(error).toMatchObject({ status: 500, batch: 2 });
    expect(error.message).toMatch(/answered 500 Internal Server Error for batch 3 of 3 \(rows 4–5\): boom/);
    expect(error.message).not.toMatch(/secret/);
    expect(calls.filter((c) => c.instances[0]![0] === 4)).toHaveLength(1);
  });

  it('refuses infinite feature values before sending anything', async () => {
    handler = regressionAnswer;
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'] });
    expect((await failure(model.score(Float64Array.of(1, Infinity), 1))).message).toMatch(/row 0, feature "x1" is Infinity/);
    expect(calls).toHaveLength(0);
  });

  it('refuses to score after close', async () => {
    handler = regressionAnswer;
    const model = remoteScoringModel({ url, task: 'regression', featureNames: ['x0', 'x1'] });
    await model.close();
    expect((await failure(model.score(Float64Array.of(1, 1), 1))).message).toMatch(/closed/);
  });

  it('refuses invalid options', () => {
    expect(() => remoteScoringModel({ url: 'ftp://example.org', task: 'regression', featureNames: ['a'] })).toThrow(RemoteScoringError);
    expect(() => remoteScoringModel({ url, task: 'binary', featureNames: ['a'] })).toThrow(/exactly 2 classes/);
    expect(() => remoteScoringModel({ url, task: 'regression', featureNames: ['a'], maxBatchRows: 0 })).toThrow(/maxBatchRows/);
  });
});
