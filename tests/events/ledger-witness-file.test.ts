import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyFingerprint } from '../../src/events/ledger-seal.js';
import { LedgerWitnessFile, type LedgerWitnessFileOptions } from '../../src/events/ledger-witness-file.js';
import { signWitness } from '../../src/events/ledger-witness.js';
import { sleep } from '../support/events.js';

const hashOf = (n: number) => n.toString(16).padStart(64, '0');
const { privateKey, publicKey } = generateKeyPairSync('ed25519');
const dirs: string[] = [];

function witnessOptions(overrides: Partial<LedgerWitnessFileOptions> = {}): LedgerWitnessFileOptions {
  const dir = mkdtempSync(join(tmpdir(), 'raia-witness-file-'));
  dirs.push(dir);
  return { path: join(dir, 'ledger-witness.json'), signingKey: privateKey, verifyKey: publicKey, trustedKeyIds: new Set([keyFingerprint(publicKey)]), intervalMs: 50, ...overrides };
}
const onDisk = (path: string) => JSON.parse(readFileSync(path, 'utf8'));

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the ledger witness file', () => {
  it('takes acknowledgements in memory and writes the highest one, signed, after the interval', async () => {
    const options = witnessOptions({ intervalMs: 100 });
    const witness = await LedgerWitnessFile.open(options);
    expect(await witness.floor()).toBeNull();
    for (let p = 1; p <= 1000; p++) witness.acknowledge(p, hashOf(p));
    witness.acknowledge(400, hashOf(400));
    // Memory answers at once; the file follows.
    expect(await witness.floor()).toMatchObject({ acknowledged: { position: 1000, hash: hashOf(1000) }, writtenAt: null, problem: null });
    await sleep(250);
    const written = onDisk(options.path);
    expect(written).toMatchObject({ format: 'raia.ledger-witness.v1', acknowledged: { position: 1000, hash: hashOf(1000) }, sealed: null, algorithm: 'ed25519', keyId: keyFingerprint(publicKey) });
    expect((await witness.floor())?.writtenAt).toBe(written.writtenAt);
    // No temporary files are left behind by the atomic write.
    expect(readdirSync(join(options.path, '..'))).toEqual(['ledger-witness.json']);
    await witness.close();
  });

  it('writes a seal at once, and a new process starts from the file', async () => {
    const options = witnessOptions({ intervalMs: 60_000 });
    const first = await LedgerWitnessFile.open(options);
    first.acknowledge(7, hashOf(7));
    await first.sealed({ toPosition: 6, headHash: hashOf(6) });
    expect(onDisk(options.path)).toMatchObject({ acknowledged: { position: 7 }, sealed: { toPosition: 6, headHash: hashOf(6) } });
    first.acknowledge(9, hashOf(9));
    await first.close();
    const second = await LedgerWitnessFile.open(options);
    expect(await second.floor()).toMatchObject({ acknowledged: { position: 9, hash: hashOf(9) }, sealed: { toPosition: 6 }, problem: null });
    await second.close();
  });

  it('two processes sharing the file each hold the higher of the file and their own acknowledgements', async () => {
    const options = witnessOptions({ intervalMs: 10 });
    const a = await LedgerWitnessFile.open(options);
    const b = await LedgerWitnessFile.open(options);
    a.acknowledge(50, hashOf(50));
    await sleep(60);
    b.acknowledge(20, hashOf(20));
    await sleep(60);
    // b never acknowledged 50, but reads it from the file; its own lower write did not lower the file.
    expect(await b.floor()).toMatchObject({ acknowledged: { position: 50 } });
    expect(onDisk(options.path).acknowledged.position).toBe(50);
    await Promise.all([a.close(), b.close()]);
  });

  it('rejects a file whose position was lowered without the key, keeps it aside, and reports it', async () => {
    const options = witnessOptions();
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(30, hashOf(30));
    await witness.close();
    const forged = { ...onDisk(options.path), acknowledged: { position: 3, hash: hashOf(3) } };
    writeFileSync(options.path, JSON.stringify(forged));

    const reopened = await LedgerWitnessFile.open(options);
    const floor = await reopened.floor();
    expect(floor?.problem).toMatch(/^the ledger witness file was rejected \(witness signature is invalid\); it was moved to .*ledger-witness\.json\.rejected-/);
    expect(readdirSync(join(options.path, '..')).filter((f) => f.includes('.rejected-'))).toHaveLength(1);
    await reopened.close();
  });

  it('reports a witness it cannot read as a problem rather than throwing', async () => {
    const options = witnessOptions();
    mkdirSync(options.path);
    const witness = await LedgerWitnessFile.open(options).catch((error: unknown) => error);
    // A directory in its place: opening fails loudly at start, and a later read is reported, not thrown.
    expect(witness).toBeInstanceOf(Error);
    rmSync(options.path, { recursive: true });
    const opened = await LedgerWitnessFile.open(options);
    mkdirSync(options.path);
    expect((await opened.floor())?.problem).toBe('the ledger witness file could not be read (EISDIR)');
    rmSync(options.path, { recursive: true });
    expect(await opened.floor()).toBeNull();
  });

  it('rejects a witness signed by a key it does not trust', async () => {
    const options = witnessOptions();
    const other = generateKeyPairSync('ed25519');
    writeFileSync(options.path, JSON.stringify(signWitness({ acknowledged: { position: 3, hash: hashOf(3) }, sealed: null }, new Date(), other.privateKey, other.publicKey)));
    const witness = await LedgerWitnessFile.open(options);
    expect((await witness.floor())?.problem).toMatch(/witness was signed by an untrusted key/);
    await witness.close();
  });
});
