import { mkdirSync, readdirSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-runtime.js';
import { TMPFS_SKIP_REASON, canMountTmpfs, mountTmpfs, unmount } from '../support/small-filesystem.js';

// A real full disk: the blob store's folder is a 1 MiB tmpfs, so writes past it fail with ENOSPC.
const TMPFS_BYTES = 1024 * 1024;
const needs = canMountTmpfs ? '' : ` (${TMPFS_SKIP_REASON})`;

describe.skipIf(!canMountTmpfs).each(['postgres', 'pglite'] as const)(`uploads onto a full disk on %s${needs}`, (dialect) => {
  let server: TestServer;
  let base: string;
  let auth: Record<string, string>;
  let blobs: string;

  beforeAll(async () => {
    server = await startTestServer(dialect);
    blobs = join(server.dataDir, 'blobs');
    mkdirSync(blobs, { recursive: true });
    mountTmpfs(blobs, TMPFS_BYTES);
    base = await server.app.listen({ port: 0, host: '127.0.0.1' });
    auth = { authorization: `Bearer ${await server.tokenFor('data_scientist')}` };
  });
  afterAll(async () => {
    server.app.server.closeAllConnections();
    // Unmounted first: closing the server removes the data dir, which a mount point would keep busy.
    unmount(blobs);
    await server.close();
  });

  const filesUnder = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);
  const usedBytes = () => {
    const fs = statfsSync(blobs);
    return (fs.blocks - fs.bfree) * fs.bsize;
  };
  const send = async (path: string, parts: Record<string, string | { bytes: Buffer | string; filename: string }>) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(parts)) {
      if (typeof value === 'string') form.append(name, value);
      else form.append(name, new Blob([value.bytes]), value.filename);
    }
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: auth, body: form });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const expectInsufficientStorage = (res: Awaited<ReturnType<typeof send>>) => {
    expect(res.status, JSON.stringify(res.body)).toBe(507);
    expect(res.type).toMatch(/^application\/problem\+json/);
    expect(res.body.type).toBe('https://raia.dev/problems/insufficient-storage');
  };
  /** A CSV of about `bytes` bytes. */
  const csvOf = (bytes: number, header = 'x,y') => {
    const rows = [header];
    for (let i = 0, size = header.length; size < bytes; i++) {
      const row = `${i},${(i * 7919) % 1000}`;
      rows.push(row);
      size += row.length + 1;
    }
    return `${rows.join('\n')}\n`;
  };

  it('a dataset bigger than the free space answers 507, leaving no partial file and no event; the next upload that fits succeeds', async () => {
    const head = await server.runtime.store.head();
    expectInsufficientStorage(await send('/api/v1/datasets/upload', { metadata: JSON.stringify({ name: 'too big' }), file: { bytes: csvOf(2 * TMPFS_BYTES), filename: 'big.csv' } }));
    expect(filesUnder(blobs)).toEqual([]);
    expect(usedBytes()).toBeLessThan(64 * 1024);
    expect((await server.runtime.store.head()).position).toBe(head.position);

    const fits = await send('/api/v1/datasets/upload', { metadata: JSON.stringify({ name: 'fits' }), file: { bytes: csvOf(10_000), filename: 'small.csv' } });
    expect(fits.status, JSON.stringify(fits.body)).toBe(201);
  });

  it('a dataset whose personal-data rewrite does not fit answers 507 and keeps neither the raw nor the sealed file, nor any event', async () => {
    const before = filesUnder(blobs);
    const head = await server.runtime.store.head();
    // Under half the disk raw; sealed per subject (AES-GCM, base64, NDJSON) it is several times larger.
    const people = csvOf(150_000, 'customer,email').replace(/^(\d+),(\d+)$/gm, 'c$1,p$2@example.org');
    expect(people.length).toBeLessThan(TMPFS_BYTES / 2);
    const res = await send('/api/v1/datasets/upload', { metadata: JSON.stringify({ name: 'people', personalColumns: ['email'], subjectColumn: 'customer' }), file: { bytes: people, filename: 'people.csv' } });
    expectInsufficientStorage(res);
    expect(filesUnder(blobs)).toEqual(before);
    expect((await server.runtime.store.head()).position).toBe(head.position);
  });

  it('a model artifact bigger than the free space answers 507, leaving no partial file and no version; a small artifact is then added', async () => {
    const model = await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'm', type: 'regression', riskTier: 'minimal' }) });
    expect(model.status).toBe(201);
    const { id } = (await model.json()) as { id: string };
    const before = filesUnder(blobs);
    const head = await server.runtime.store.head();
    const metadata = JSON.stringify({ format: 'raia-linear/v1', task: 'regression', inputSchema: [{ name: 'a', type: 'number' }] });
    expectInsufficientStorage(await send(`/api/v1/models/${id}/versions`, { metadata, artifact: { bytes: Buffer.alloc(2 * TMPFS_BYTES, 0x20), filename: 'model.json' } }));
    expect(filesUnder(blobs)).toEqual(before);
    expect((await server.runtime.store.head()).position).toBe(head.position);

    const linear = JSON.stringify({ format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['a'], coefficients: [2], intercept: 1 });
    const added = await send(`/api/v1/models/${id}/versions`, { metadata, artifact: { bytes: linear, filename: 'model.json' } });
    expect(added.status, JSON.stringify(added.body)).toBe(201);
  });
});
