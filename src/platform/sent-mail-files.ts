import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Where the file transport (mail-transport.ts) keeps sent messages when no SMTP server is configured. */
export const sentMailDir = (dataDir: string) => join(dataDir, 'outbox-sent');

/**
 * Deletes every sent .eml file that names `address` anywhere (headers or body, without case):
 * a message about a person is theirs to have erased, whichever header carried the address.
 * Returns the names of the files removed. A missing folder (SMTP configured) removes nothing.
 */
export async function deleteSentMailNaming(dataDir: string, address: string): Promise<string[]> {
  const dir = sentMailDir(dataDir);
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.eml'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const needle = address.toLowerCase();
  const removed: string[] = [];
  for (const name of names.sort()) {
    const text = (await readFile(join(dir, name), 'latin1').catch(() => '')).toLowerCase();
    if (!text.includes(needle)) continue;
    await rm(join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}
