import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteSentMailNaming, sentMailDir } from '../../src/platform/sent-mail-files.js';

describe('sent .eml files naming an address', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'raia-eml-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('removes nothing when there is no folder (mail goes over SMTP)', async () => {
    expect(await deleteSentMailNaming(dataDir, 'x@example.org')).toEqual([]);
  });

  it('deletes every .eml naming the address in any header or the body, without case, and nothing else', async () => {
    const dir = sentMailDir(dataDir);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.eml'), 'To: Gina@Example.org\r\nSubject: Reset\r\n\r\nhello');
    writeFileSync(join(dir, 'b.eml'), 'To: admin@example.org\r\nSubject: Invitation\r\n\r\nfor gina@example.org');
    writeFileSync(join(dir, 'c.eml'), 'To: hal@example.org\r\nSubject: Reset\r\n\r\nhello');
    writeFileSync(join(dir, 'notes.txt'), 'gina@example.org');
    expect(await deleteSentMailNaming(dataDir, 'gina@example.org')).toEqual(['a.eml', 'b.eml']);
    expect(readdirSync(dir).sort()).toEqual(['c.eml', 'notes.txt']);
    expect(existsSync(join(dir, 'c.eml'))).toBe(true);
  });
});
