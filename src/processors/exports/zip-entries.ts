import type { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** Reads a ZIP file's entries in order, handing each entry's (inflated) stream to `onEntry`, one at a time. */
export async function eachZipEntry(file: string, onEntry: (name: string, stream: Readable) => Promise<void>): Promise<void> {
  const zip = await new Promise<yauzl.ZipFile>((resolve, reject) => yauzl.open(file, { lazyEntries: true, autoClose: true }, (err, z) => (err ? reject(err) : resolve(z))));
  const openEntry = (entry: yauzl.Entry) => new Promise<Readable>((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
  await new Promise<void>((resolve, reject) => {
    zip.on('error', reject);
    zip.on('end', resolve);
    zip.on('entry', (entry: yauzl.Entry) => {
      void (async () => {
        if (!entry.fileName.endsWith('/')) await onEntry(entry.fileName, await openEntry(entry));
        zip.readEntry();
      })().catch((error: unknown) => {
        zip.close();
        reject(error instanceof Error ? error : new Error(String(error)));
      });
    });
    zip.readEntry();
  });
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
