import type { FastifyRequest } from 'fastify';
import { BlobTooLarge, type BlobStorage, type StoredBlob } from '../platform/blob-storage.js';
import { invalidFields } from './problem-details.js';
import { findUnstorableInput, unstorableReason } from './storable-input.js';

export type MultipartUpload = {
  /** The `metadata` field's JSON, parsed; undefined when the field was not sent. */
  metadata: unknown;
  /** The file, streamed to blob storage; null when no file part was sent. */
  blob: StoredBlob | null;
  filename: string | null;
};

/**
 * Reads a multipart upload of one `metadata` field (JSON) and one file part named `fileField`,
 * streaming the file to blob storage (never whole in memory). Unknown parts, a second file, a
 * file over `maxBytes` or metadata that is not JSON are refused naming the field; a file already
 * stored when the refusal comes is handed to `discard`.
 */
export async function readMultipartUpload(
  request: FastifyRequest,
  options: { fileField: string; blobs: BlobStorage; maxBytes: number; discard(blob: StoredBlob | null): Promise<void> },
): Promise<MultipartUpload> {
  let metadataText: string | undefined;
  let blob: StoredBlob | null = null;
  let filename: string | null = null;
  try {
    for await (const part of request.parts()) {
      // Streamed past the request-wide check (storable-input.ts): its text is checked here.
      const badName = unstorableReason(part.fieldname);
      const unstorable = badName
        ? { field: 'body', message: `has a part whose name ${badName}` }
        : part.type === 'file'
          ? findUnstorableInput(part.filename, `body.${part.fieldname}.filename`)
          : findUnstorableInput(part.value, `body.${part.fieldname}`);
      if (unstorable) {
        if (part.type === 'file') part.file.resume();
        throw invalidFields([unstorable]);
      }
      if (part.type === 'file') {
        if (part.fieldname !== options.fileField || blob) {
          part.file.resume();
          throw invalidFields([{ field: `body.${part.fieldname}`, message: `one file part, named "${options.fileField}", is expected` }]);
        }
        blob = await options.blobs.put(part.file, { maxBytes: options.maxBytes });
        // @fastify/multipart ends a file at its own size limit without an error: check it.
        if (part.file.truncated) throw new BlobTooLarge(options.maxBytes);
        // Cut at 300 UTF-16 units, never between the halves of a surrogate pair (a lone half cannot be stored).
        filename = part.filename ? part.filename.slice(0, /[\ud800-\udbff]/.test(part.filename.charAt(299)) ? 299 : 300) : null;
      } else if (part.fieldname === 'metadata') metadataText = String(part.value);
      else throw invalidFields([{ field: `body.${part.fieldname}`, message: `unknown field; expected "metadata" and "${options.fileField}"` }]);
    }
    let metadata: unknown;
    if (metadataText !== undefined) {
      try {
        metadata = JSON.parse(metadataText);
      } catch {
        throw invalidFields([{ field: 'body.metadata', message: 'is not valid JSON' }]);
      }
      const unstorable = findUnstorableInput(metadata, 'body.metadata');
      if (unstorable) throw invalidFields([unstorable]);
    }
    return { metadata, blob, filename };
  } catch (error) {
    await options.discard(blob);
    throw error;
  }
}
