import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BlobCorrupted, BlobStoreFull, BlobTooLarge, contentAddress } from '../../src/platform/blob-storage.js';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { S3BlobStorage } from '../../src/platform/s3-blob-storage.js';
import { loadScoringModel } from '../../src/processors/model-scoring.js';
import { TMPFS_SKIP_REASON, canMountTmpfs, mountTmpfs, unmount } from '../support/small-filesystem.js';

// s3rver (a real S3-compatible HTTP server) runs in a child process, so its own buffers never count
// in this process's memory when the streaming bound is measured.
const SERVER = `
import S3rver from 's3rver';
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: process.env.S3RVER_DIR });
const { port } = await server.run();
process.stdout.write(JSON.stringify({ port }) + '\\n');
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

async function startS3Server(): Promise<{ endpoint: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', SERVER], {
    cwd: process.cwd(),
    env: { ...process.env, S3RVER_DIR: mkdtempSync(join(tmpdir(), 'raia-s3rver-')) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { port: number }).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return { endpoint: `http://127.0.0.1:${port}`, child };
}

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** `total` bytes of pseudo-random data produced chunk by chunk, never held whole, with their digest. */
function generated(total: number, chunk = 64 * 1024): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const bytes = randomBytes(Math.min(chunk, total - sent));
      sent += bytes.length;
      hash.update(bytes);
      this.push(bytes);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

describe('S3 blob storage (s3rver over HTTP on 127.0.0.1)', () => {
  const bucket = 'raia-blobs';
  let server: { endpoint: string; child: ChildProcess };
  let client: S3Client;
  let cacheDir: string;
  let blobs: S3BlobStorage;

  const keys = async (prefix: string) => {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((o) => o.Key!).sort();
  };

  beforeAll(async () => {
    server = await startS3Server();
    // s3rver accepts the S3RVER/S3RVER key pair and checks request signatures with it.
    client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    cacheDir = join(mkdtempSync(join(tmpdir(), 'raia-data-')), 'blob-cache');
    blobs = new S3BlobStorage({ client, bucket, cacheDir });
  });

  afterAll(async () => {
    client?.destroy();
    server?.child.kill('SIGTERM');
  });

  it('stores, finds, reads back and deletes a blob under sha256/ab/cd/<digest>, leaving no temporary object', async () => {
    const bytes = Buffer.from('a model artifact');
    const stored = await blobs.put(Readable.from([bytes]), { maxBytes: 1024 });
    expect(stored).toEqual({ sha256: sha256Of(bytes), size: bytes.length, created: true });
    expect(await keys('sha256/')).toEqual([`sha256/${stored.sha256.slice(0, 2)}/${stored.sha256.slice(2, 4)}/${stored.sha256}`]);
    expect(await keys('incoming/')).toEqual([]);
    expect(await blobs.exists(stored.sha256)).toBe(true);
    expect(await text(await blobs.open(stored.sha256))).toBe('a model artifact');

    await blobs.delete(stored.sha256);
    expect(await blobs.exists(stored.sha256)).toBe(false);
    await expect(blobs.open(stored.sha256)).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('stores the same bytes once: the second put reports created false', async () => {
    const bytes = randomBytes(10_000);
    const first = await blobs.put(Readable.from([bytes]), { maxBytes: 1e6 });
    const second = await blobs.put(Readable.from([bytes.subarray(0, 4000), bytes.subarray(4000)]), { maxBytes: 1e6 });
    expect(first.created).toBe(true);
    expect(second).toEqual({ sha256: first.sha256, size: 10_000, created: false });
    expect((await keys('sha256/')).filter((k) => k.endsWith(first.sha256))).toHaveLength(1);
    expect(await keys('incoming/')).toEqual([]);
    await blobs.delete(first.sha256);
  });

  it('refuses an upload past maxBytes while streaming and leaves nothing in the bucket', async () => {
    const before = await keys('');
    const send = vi.spyOn(client, 'send');
    try {
      // Small (single PUT) and multipart (past the 5 MiB part size) refusals both abort cleanly.
      for (const [total, maxBytes] of [
        [4096, 1000],
        [14 * 1024 ** 2, 11 * 1024 ** 2],
      ] as const) {
        const source = generated(total);
        await expect(blobs.put(source.stream, { maxBytes })).rejects.toBeInstanceOf(BlobTooLarge);
        expect(source.stream.destroyed).toBe(true);
      }
      // The multipart one had sent two parts: its upload was aborted, so S3 drops them too.
      const sent = send.mock.calls.map(([command]) => command.constructor.name);
      expect(sent.filter((name) => name === 'UploadPartCommand')).toHaveLength(2);
      expect(sent).toContain('AbortMultipartUploadCommand');
    } finally {
      send.mockRestore();
    }
    expect(await keys('')).toEqual(before);
  });

  it('streams a 120 MB upload with bounded live memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const live = () => {
      gc();
      const { heapUsed, arrayBuffers } = process.memoryUsage();
      return heapUsed + arrayBuffers;
    };
    // A warm-up multipart put first, so code the SDK loads on first use is not counted as upload memory.
    const warmUp = await blobs.put(generated(12 * 1024 ** 2).stream, { maxBytes: 64 * 1024 ** 2 });
    await blobs.delete(warmUp.sha256);
    const total = 120 * 1024 ** 2;
    const baseline = live();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, live())), 25);
    const source = generated(total);
    try {
      const stored = await blobs.put(source.stream, { maxBytes: 128 * 1024 ** 2 });
      expect(stored).toEqual({ sha256: source.sha256(), size: total, created: true });
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, live());
    // Two 5 MiB parts in flight plus the one being filled (~15 MiB, measured up to 27 MiB under
    // load with the SDK's own buffers), far below the 120 MB uploaded.
    expect(peak - baseline).toBeLessThan(40 * 1024 ** 2);
    expect(await keys('incoming/')).toEqual([]);
  });

  it('downloads a blob for localPath once, verified, shared by concurrent callers', async () => {
    const bytes = randomBytes(300_000);
    const { sha256 } = await blobs.put(Readable.from([bytes]), { maxBytes: 1e6 });
    const send = vi.spyOn(client, 'send');
    try {
      const paths = await Promise.all(Array.from({ length: 5 }, () => blobs.localPath(sha256)));
      expect(new Set(paths)).toEqual(new Set([join(cacheDir, ...contentAddress(sha256).split('/'))]));
      expect(readFileSync(paths[0]!).equals(bytes)).toBe(true);
      expect(await blobs.localPath(sha256)).toBe(paths[0]);
      const gets = send.mock.calls.filter(([command]) => command instanceof GetObjectCommand);
      expect(gets).toHaveLength(1);
    } finally {
      send.mockRestore();
    }
    await blobs.delete(sha256);
    expect(existsSync(join(cacheDir, ...contentAddress(sha256).split('/')))).toBe(false);
  });

  it('refuses an object whose bytes no longer match its digest, caching nothing', async () => {
    const bytes = Buffer.from('the original bytes');
    const { sha256 } = await blobs.put(Readable.from([bytes]), { maxBytes: 1024 });
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: contentAddress(sha256), Body: 'tampered bytes' }));

    const refused = blobs.localPath(sha256);
    await expect(refused).rejects.toBeInstanceOf(BlobCorrupted);
    await expect(refused).rejects.toMatchObject({ expected: sha256, actual: sha256Of(Buffer.from('tampered bytes')) });
    expect(existsSync(join(cacheDir, ...contentAddress(sha256).split('/')))).toBe(false);
    expect(readdirSync(join(cacheDir, 'incoming'))).toEqual([]);
    // The tampered object is still the bucket's, untouched: detection, not repair.
    const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: contentAddress(sha256) }));
    expect(await object.Body!.transformToString()).toBe('tampered bytes');
    await blobs.delete(sha256);
  });

  it.skipIf(!canMountTmpfs)(`a localPath copy that does not fit the local disk rejects with BlobStoreFull, leaving no partial file${canMountTmpfs ? '' : ` (${TMPFS_SKIP_REASON})`}`, async () => {
    const smallCache = mkdtempSync(join(tmpdir(), 'raia-small-cache-'));
    mountTmpfs(smallCache, 256 * 1024);
    try {
      mkdirSync(join(smallCache, 'incoming'));
      const small = new S3BlobStorage({ client, bucket, cacheDir: smallCache });
      const { sha256 } = await small.put(Readable.from([randomBytes(600_000)]), { maxBytes: 1e6 });
      await expect(small.localPath(sha256)).rejects.toBeInstanceOf(BlobStoreFull);
      expect(readdirSync(smallCache, { recursive: true, withFileTypes: true }).filter((e) => e.isFile())).toEqual([]);
      await small.delete(sha256);
    } finally {
      unmount(smallCache);
      rmSync(smallCache, { recursive: true, force: true });
    }
  });

  it('serves model scoring: a JSON model artifact stored in the bucket loads through localPath and scores', async () => {
    const artifact = { format: 'raia-linear/v1', task: 'regression', link: 'identity', featureNames: ['age', 'income'], coefficients: [0.5, -1.25], intercept: 0.1 };
    const { sha256 } = await blobs.put(Readable.from([Buffer.from(JSON.stringify(artifact))]), { maxBytes: 1e6 });
    const model = await loadScoringModel(blobs, {
      task: 'regression',
      classes: null,
      artifact: { sha256, format: 'raia-linear/v1' },
      endpoint: null,
      inputSchema: [
        { name: 'age', type: 'number' },
        { name: 'income', type: 'number' },
      ],
    });
    try {
      // 0.1 + 0.5 · 2 − 1.25 · 4, by hand.
      const { predictions } = await model.score(Float64Array.of(2, 4), 1);
      expect(predictions[0]).toBeCloseTo(-3.9, 12);
    } finally {
      await model.close();
    }
    await blobs.delete(sha256);
  });
});

describe('blob store configuration', () => {
  it('defaults to the filesystem store, and S3 to us-east-1 with path style left to the endpoint', () => {
    const config = loadConfig({});
    expect(config.RAIA_BLOB_STORE).toBe('filesystem');
    expect(config.RAIA_S3_REGION).toBe('us-east-1');
    expect(config.RAIA_S3_FORCE_PATH_STYLE).toBeUndefined();
    expect(loadConfig({ RAIA_BLOB_STORE: 's3', RAIA_S3_BUCKET: 'raia-models', RAIA_S3_ENDPOINT: 'http://127.0.0.1:9000', RAIA_S3_FORCE_PATH_STYLE: 'false' })).toMatchObject({
      RAIA_S3_BUCKET: 'raia-models',
      RAIA_S3_ENDPOINT: 'http://127.0.0.1:9000',
      RAIA_S3_FORCE_PATH_STYLE: false,
    });
  });

  it('fails fast when s3 is chosen without a bucket', () => {
    expect(() => loadConfig({ RAIA_BLOB_STORE: 's3' })).toThrow(ConfigError);
    expect(() => loadConfig({ RAIA_BLOB_STORE: 's3', RAIA_S3_BUCKET: ' ' })).toThrow(/RAIA_S3_BUCKET: is required when RAIA_BLOB_STORE is s3/);
    expect(() => loadConfig({ RAIA_BLOB_STORE: 'ftp' })).toThrow(/RAIA_BLOB_STORE/);
  });
});
