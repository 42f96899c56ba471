import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  UploadPartCopyCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BlobCorrupted, BlobStoreFull, contentAddress, isOutOfSpace, meteredDigest, type BlobStorage, type StoredBlob } from './blob-storage.js';

export type S3BlobStorageOptions = {
  client: S3Client;
  bucket: string;
  /** Local directory for `localPath` copies (`<data dir>/blob-cache`). */
  cacheDir: string;
  /** Bytes held per in-flight part of an upload (S3's minimum, 5 MiB, unless a 10,000-part upload of `maxBytes` needs more). */
  partSize?: number;
  /** Parts uploaded at once: memory per upload is about (queueSize + 1) × partSize. */
  queueSize?: number;
};

export type S3ConnectionOptions = {
  region: string;
  /** For S3-compatible servers (MinIO, Ceph, R2…); unset means AWS. */
  endpoint?: string;
  forcePathStyle?: boolean;
};

// Credentials come from the SDK's default provider chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,
// AWS_PROFILE, web identity, container and instance metadata): RAIA never holds them itself.
export function connectS3(options: S3ConnectionOptions): S3Client {
  return new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
  });
}

// S3 limits (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html): one CopyObject
// copies at most 5 GiB; a multipart upload has at most 10,000 parts of at least 5 MiB.
const MAX_COPY_OBJECT_BYTES = 5 * 1024 ** 3;
const COPY_PART_BYTES = 1024 ** 3;
const MIN_PART_BYTES = 5 * 1024 ** 2;
const MAX_PARTS = 10_000;

const isNotFound = (error: unknown): boolean => {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NotFound' || e.name === 'NoSuchKey' || e.$metadata?.httpStatusCode === 404;
};

/**
 * Content-addressed blob storage in an S3 bucket (AWS or any S3-compatible server), keyed
 * `sha256/ab/cd/<digest>` like the filesystem store.
 *
 * An upload's digest is only known at its end, so `put` streams it (multipart, bounded memory,
 * hashed on the way) to a temporary key `incoming/<uuid>`, then copies it server-side to its
 * content address unless that already exists, and deletes the temporary object. A failed or
 * refused upload is aborted and leaves nothing; a crash between the steps can leave an orphan
 * under `incoming/`, which a bucket lifecycle rule should expire (say after a day, together with
 * incomplete multipart uploads).
 *
 * `localPath` downloads a blob once into `cacheDir`, checking its SHA-256 on the way (a blob that
 * does not hash to its name is refused with BlobCorrupted and not cached); concurrent callers share
 * one download. Eviction is deliberately simple: a cached copy is removed when its blob is
 * deleted, and otherwise kept (artifacts are immutable). The cache may be emptied at any time;
 * what is missing is downloaded again on next use.
 */
export class S3BlobStorage implements BlobStorage {
  readonly kind = 's3';
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly cacheDir: string;
  private readonly partSize: number | undefined;
  private readonly queueSize: number;
  private readonly downloads = new Map<string, Promise<string>>();

  constructor(options: S3BlobStorageOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.cacheDir = options.cacheDir;
    this.partSize = options.partSize;
    this.queueSize = options.queueSize ?? 2;
  }

  async put(source: Readable, options: { maxBytes: number }): Promise<StoredBlob> {
    const temporaryKey = `incoming/${randomUUID()}`;
    const { meter, digest } = meteredDigest(options.maxBytes);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: temporaryKey, Body: meter },
      partSize: this.partSize ?? Math.max(MIN_PART_BYTES, Math.ceil(options.maxBytes / MAX_PARTS)),
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    const piping = pipeline(source, meter);
    // If S3 fails first, stop reading the source; if the source or the size limit fails first, the
    // upload sees its body error and aborts its multipart upload.
    const uploading = upload.done().catch((error: unknown) => {
      meter.destroy(error instanceof Error ? error : new Error(String(error)));
      throw error;
    });
    const [piped, uploaded] = await Promise.allSettled([piping, uploading]);
    if (piped.status === 'rejected' || uploaded.status === 'rejected') {
      await upload.abort().catch(() => undefined);
      await this.deleteKey(temporaryKey).catch(() => undefined);
      // The source's own error (or BlobTooLarge) is the cause; S3's is a consequence of it.
      throw piped.status === 'rejected' ? piped.reason : (uploaded as PromiseRejectedResult).reason;
    }
    const { sha256, size } = digest();
    try {
      if (await this.exists(sha256)) return { sha256, size, created: false };
      await this.copy(temporaryKey, contentAddress(sha256), size);
      return { sha256, size, created: true };
    } finally {
      // An orphan left by a failed delete is harmless and expired by the lifecycle rule.
      await this.deleteKey(temporaryKey).catch(() => undefined);
    }
  }

  async exists(sha256: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: contentAddress(sha256) }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async open(sha256: string): Promise<Readable> {
    const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: contentAddress(sha256) }));
    // In Node the SDK's body is an http.IncomingMessage (a Readable) mixed with helpers.
    return object.Body as Readable;
  }

  async delete(sha256: string): Promise<void> {
    await this.deleteKey(contentAddress(sha256));
    await rm(this.cachePath(sha256), { force: true });
  }

  async localPath(sha256: string): Promise<string> {
    const path = this.cachePath(sha256);
    if (await isFile(path)) return path;
    let download = this.downloads.get(sha256);
    if (!download) {
      download = this.download(sha256, path).finally(() => this.downloads.delete(sha256));
      this.downloads.set(sha256, download);
    }
    return download;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }

  private cachePath(sha256: string): string {
    return join(this.cacheDir, ...contentAddress(sha256).split('/'));
  }

  private async download(sha256: string, path: string): Promise<string> {
    const incoming = join(this.cacheDir, 'incoming');
    await mkdir(incoming, { recursive: true });
    const temporary = join(incoming, `${randomUUID()}.part`);
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(await this.open(sha256), hashing, createWriteStream(temporary, { flags: 'wx', mode: 0o600 }));
      const actual = hash.digest('hex');
      if (actual !== sha256) throw new BlobCorrupted(sha256, actual);
      await mkdir(join(path, '..'), { recursive: true });
      await rename(temporary, path);
      return path;
    } catch (error) {
      throw isOutOfSpace(error) ? new BlobStoreFull(error) : error;
    } finally {
      await rm(temporary, { force: true });
    }
  }

  private async deleteKey(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
  }

  private async copy(from: string, to: string, size: number): Promise<void> {
    const CopySource = `${encodeURIComponent(this.bucket)}/${from}`;
    if (size <= MAX_COPY_OBJECT_BYTES) {
      await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: to, CopySource }));
      return;
    }
    // Past 5 GiB a copy must be a multipart upload whose parts are copied ranges of the source.
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: to }));
    try {
      const parts: CompletedPart[] = [];
      for (let start = 0, PartNumber = 1; start < size; start += COPY_PART_BYTES, PartNumber += 1) {
        const end = Math.min(start + COPY_PART_BYTES, size) - 1;
        const { CopyPartResult } = await this.client.send(
          new UploadPartCopyCommand({ Bucket: this.bucket, Key: to, UploadId, PartNumber, CopySource, CopySourceRange: `bytes=${start}-${end}` }),
        );
        parts.push({ PartNumber, ETag: CopyPartResult?.ETag });
      }
      await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId, MultipartUpload: { Parts: parts } }));
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: to, UploadId })).catch(() => undefined);
      throw error;
    }
  }
}

const isFile = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
