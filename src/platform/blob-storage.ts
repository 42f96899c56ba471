import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type StoredBlob = {
  sha256: string;
  size: number;
  /** False when the same bytes were already stored (content addressing keeps one copy). */
  created: boolean;
};

/**
 * Content-addressed storage of large immutable files (model artifacts, later dataset files). A blob
 * is named by the SHA-256 of its bytes, so storing the same bytes twice keeps one copy.
 */
export interface BlobStorage {
  readonly kind: 'filesystem' | 's3';
  /** Streams `source` into the store (memory stays bounded whatever the size); refuses with BlobTooLarge past `maxBytes`, or BlobStoreFull when out of space, leaving nothing behind. */
  put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob>;
  exists(sha256: string): Promise<boolean>;
  open(sha256: string): Promise<Readable>;
  delete(sha256: string): Promise<void>;
  /** A local file holding the blob's bytes, for libraries that only load from a path (onnxruntime). */
  localPath(sha256: string): Promise<string>;
  close(): Promise<void>;
}

export class BlobTooLarge extends Error {
  constructor(public readonly limit: number) {
    super(`the upload exceeds ${limit} bytes`);
    this.name = 'BlobTooLarge';
  }
}

/** The store's filesystem has no room left (ENOSPC) or its quota is spent (EDQUOT); nothing of the upload was kept. */
export class BlobStoreFull extends Error {
  constructor(cause: unknown) {
    super('blob storage has no space left for this upload', { cause });
    this.name = 'BlobStoreFull';
  }
}

const OUT_OF_SPACE = new Set(['ENOSPC', 'EDQUOT']);
/** A filesystem write failed for want of space (ENOSPC) or quota (EDQUOT). */
export const isOutOfSpace = (error: unknown): boolean => OUT_OF_SPACE.has((error as NodeJS.ErrnoException | null)?.code ?? '');

/** The bytes a store handed back do not hash to the name they are stored under. */
export class BlobCorrupted extends Error {
  constructor(
    public readonly expected: string,
    public readonly actual: string,
  ) {
    super(`blob ${expected} is corrupted: its bytes hash to ${actual}`);
    this.name = 'BlobCorrupted';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

export function assertSha256(sha256: string): void {
  if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 digest: ${sha256}`);
}

/** Where a blob lives under a content-addressed root: `sha256/ab/cd/<digest>` (two fan-out levels keep directories small). */
export function contentAddress(sha256: string): string {
  assertSha256(sha256);
  return `sha256/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
}

/** A pass-through stream that counts and hashes what flows through it, failing with BlobTooLarge past `maxBytes`. */
export function meteredDigest(maxBytes: number): { meter: Transform; digest: () => { sha256: string; size: number } } {
  const hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new BlobTooLarge(maxBytes));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { meter, digest: () => ({ sha256: hash.digest('hex'), size }) };
}

/**
 * Content-addressed blob storage on the filesystem (`<root>/sha256/ab/cd/<digest>`). Uploads are
 * streamed to a temporary file while hashed, then renamed into place, so memory stays bounded
 * whatever the size and a reader never sees a partial blob.
 */
export class FileBlobStorage implements BlobStorage {
  readonly kind = 'filesystem';
  private readonly incoming: string;

  constructor(private readonly root: string) {
    this.incoming = join(root, 'incoming');
  }

  private pathOf(sha256: string): string {
    return join(this.root, ...contentAddress(sha256).split('/'));
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const temporary = join(this.incoming, `${randomUUID()}.part`);
    const { meter, digest } = meteredDigest(options.maxBytes);
    try {
      await mkdir(this.incoming, { recursive: true });
      await pipeline(source, meter, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
      const { sha256, size } = digest();
      if (await this.exists(sha256)) return { sha256, size, created: false };
      const target = this.pathOf(sha256);
      await mkdir(join(target, '..'), { recursive: true });
      await rename(temporary, target);
      return { sha256, size, created: true };
    } catch (error) {
      throw isOutOfSpace(error) ? new BlobStoreFull(error) : error;
    } finally {
      // Whatever happened, no partial file stays behind (after the rename there is none to remove).
      await rm(temporary, { force: true });
    }
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  async open(sha256: string): Promise<Readable> {
    const path = this.pathOf(sha256);
    // Opened before returning, so a missing blob rejects here rather than on the stream.
    await stat(path);
    return createReadStream(path);
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }

  async localPath(sha256: string): Promise<string> {
    return this.pathOf(sha256);
  }

  async close(): Promise<void> {}
}
