import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
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

export class BlobTooLarge extends Error {
  constructor(public readonly limit: number) {
    super(`the upload exceeds ${limit} bytes`);
    this.name = 'BlobTooLarge';
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Content-addressed blob storage on the filesystem (`<root>/sha256/ab/cd/<digest>`). Uploads are
 * streamed to a temporary file while hashed, then renamed into place, so memory stays bounded
 * whatever the size and a reader never sees a partial blob.
 */
export class FileBlobStorage {
  readonly kind = 'filesystem';
  private readonly incoming: string;

  constructor(private readonly root: string) {
    this.incoming = join(root, 'incoming');
  }

  pathOf(sha256: string): string {
    if (!SHA256_HEX.test(sha256)) throw new Error(`not a SHA-256 digest: ${sha256}`);
    return join(this.root, 'sha256', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    await mkdir(this.incoming, { recursive: true });
    const temporary = join(this.incoming, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > options.maxBytes) return done(new BlobTooLarge(options.maxBytes));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    const sha256 = hash.digest('hex');
    const target = this.pathOf(sha256);
    if (await this.exists(sha256)) {
      await rm(temporary, { force: true });
      return { sha256, size, created: false };
    }
    await mkdir(join(target, '..'), { recursive: true });
    await rename(temporary, target);
    return { sha256, size, created: true };
  }

  async exists(sha256: string): Promise<boolean> {
    return stat(this.pathOf(sha256)).then(
      () => true,
      () => false,
    );
  }

  open(sha256: string): ReadStream {
    return createReadStream(this.pathOf(sha256));
  }

  async delete(sha256: string): Promise<void> {
    await rm(this.pathOf(sha256), { force: true });
  }
}
