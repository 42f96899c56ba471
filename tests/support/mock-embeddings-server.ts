import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A bag-of-words embedding, known to the test: each word adds 1 to the dimension its FNV-1a hash
 * picks; the last dimension is a constant 1 so no text has a zero vector. Not normalized (the
 * client under test normalizes).
 */
export function bagOfWords(text: string, dimensions: number): number[] {
  const v = new Array<number>(dimensions).fill(0);
  for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
    let h = 0x811c9dc5;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 0x01000193) >>> 0;
    v[h % (dimensions - 1)]! += 1;
  }
  v[dimensions - 1] = 1;
  return v;
}

export const cosine = (a: number[], b: number[]) => {
  let dot = 0, na = 0, nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
};

export type ScriptedAnswer = { status: number; headers?: Record<string, string>; body: string; delayMs?: number };

export type MockEmbeddingsServer = {
  /** Base URL up to the API version: `http://127.0.0.1:<port>/v1`. */
  url: string;
  dimensions: number;
  /** Requests received, with their parsed body and authorization header. */
  requests: { model: string; input: string[]; authorization: string | undefined }[];
  /** Answers the next requests with these, in order, before embedding normally again. */
  script(...answers: ScriptedAnswer[]): void;
  close(): Promise<void>;
};

const readBody = async (req: IncomingMessage) => {
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  return Buffer.concat(parts).toString('utf8');
};

/** An OpenAI-compatible `/v1/embeddings` server on loopback: the provider the tests talk to over real HTTP. */
export async function startMockEmbeddingsServer(dimensions = 16): Promise<MockEmbeddingsServer> {
  const requests: MockEmbeddingsServer['requests'] = [];
  const scripted: ScriptedAnswer[] = [];
  const server: Server = createServer((req, res) => {
    void (async () => {
      const body = await readBody(req);
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      const parsed = JSON.parse(body) as { model: string; input: string[] };
      requests.push({ model: parsed.model, input: parsed.input, authorization: req.headers.authorization });
      const next = scripted.shift();
      if (next) {
        if (next.delayMs) await new Promise((r) => setTimeout(r, next.delayMs));
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers }).end(next.body);
        return;
      }
      const data = parsed.input.map((text, index) => ({ object: 'embedding', index, embedding: bagOfWords(text, dimensions) }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: parsed.model, usage: { prompt_tokens: 0, total_tokens: 0 } }));
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    dimensions,
    requests,
    script: (...answers) => scripted.push(...answers),
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
