import { createHash, generateKeyPairSync, verify } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { LedgerWitnessFile, type LedgerWitnessFileOptions } from '../../src/events/ledger-witness-file.js';
import { signWitness, type WitnessBody } from '../../src/events/ledger-witness.js';
import type { Logger } from '../../src/platform/logger.js';
import { fakeHashOf as hashOf, sleep } from '../support/events.js';

const { privateKey, publicKey } = generateKeyPairSync('ed25519');
// SHA-256 of the SPKI DER public key, computed here rather than with keyFingerprint.
const keyId = createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
const dirs: string[] = [];

/** A clock that answers fixed dates one after another (the last one again when they run out) and counts its calls: one per write. */
function steppingClock(...isoDates: string[]) {
  const clock = Object.assign(() => new Date(isoDates[Math.min(clock.calls++, isoDates.length - 1)] as string), { calls: 0 });
  return clock;
}

function witnessOptions(overrides: Partial<LedgerWitnessFileOptions> = {}): LedgerWitnessFileOptions {
  const dir = mkdtempSync(join(tmpdir(), 'raia-witness-cases-'));
  dirs.push(dir);
  return { path: join(dir, 'ledger-witness.json'), signingKey: privateKey, verifyKey: publicKey, trustedKeyIds: new Set([keyId]), intervalMs: 60_000, ...overrides };
}
const onDisk = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
/** What another process holding the same key would write (its writes are whole files too). */
const writeAsAnotherProcess = (path: string, body: WitnessBody, writtenAt: string) =>
  writeFileSync(path, JSON.stringify(signWitness(body, new Date(writtenAt), privateKey, publicKey)));
const THEIR_WRITE = '2026-04-04T04:04:04.004Z';
/**
 * A witness this process acknowledged to 20 and sealed to `sealedTo` (null: never), then closed;
 * after which another process sharing the file writes `theirs` over it, at THEIR_WRITE.
 */
async function witnessOverwritten(sealedTo: number | null, theirs: WitnessBody): Promise<LedgerWitnessFile> {
  const options = witnessOptions();
  const witness = await LedgerWitnessFile.open(options);
  witness.acknowledge(20, hashOf(20));
  if (sealedTo !== null) await witness.sealed({ toPosition: sealedTo, headHash: hashOf(sealedTo) });
  await witness.close();
  writeAsAnotherProcess(options.path, theirs, THEIR_WRITE);
  return witness;
}
const fakeLogger = () => {
  const error = vi.fn();
  return { error, logger: { error } as unknown as Logger };
};

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('what the ledger witness file holds', () => {
  it('is pretty-printed JSON ending in a newline, mode 0600, with a signature over the canonical fields', async () => {
    const clock = steppingClock('2026-05-06T07:08:09.123Z');
    const options = witnessOptions({ clock });
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(5, hashOf(5));
    await witness.close();

    const text = readFileSync(options.path, 'utf8');
    const parsed = JSON.parse(text);
    expect(text).toBe(`${JSON.stringify(parsed, null, 2)}\n`);
    expect(statSync(options.path).mode & 0o777).toBe(0o600);
    expect(parsed).toEqual({
      format: 'raia.ledger-witness.v1',
      acknowledged: { position: 5, hash: hashOf(5) },
      sealed: null,
      writtenAt: '2026-05-06T07:08:09.123Z',
      algorithm: 'ed25519',
      keyId,
      publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
      signature: parsed.signature,
    });
    // RFC 8785 written by hand: keys in code-unit order, no white space.
    const payload = `{"acknowledged":{"hash":"${hashOf(5)}","position":5},"format":"raia.ledger-witness.v1","keyId":"${keyId}","sealed":null,"writtenAt":"2026-05-06T07:08:09.123Z"}`;
    expect(verify(null, Buffer.from(payload), publicKey, Buffer.from(parsed.signature, 'base64'))).toBe(true);
    expect(await witness.floor()).toEqual({ acknowledged: { position: 5, hash: hashOf(5) }, sealed: null, writtenAt: '2026-05-06T07:08:09.123Z', problem: null });
  });

  it('ignores an acknowledgement at or below the position it holds, even with another hash', async () => {
    const options = witnessOptions();
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(5, hashOf(5));
    witness.acknowledge(5, hashOf(555));
    witness.acknowledge(3, hashOf(3));
    expect((await witness.floor())?.acknowledged).toEqual({ position: 5, hash: hashOf(5) });
    await witness.close();
    expect(onDisk(options.path).acknowledged).toEqual({ position: 5, hash: hashOf(5) });
  });

  it('keeps the highest seal: a lower or equal one changes nothing, a higher one is written even without a new acknowledgement', async () => {
    const clock = steppingClock('2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z', '2026-01-01T00:00:03.000Z');
    const options = witnessOptions({ clock });
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(20, hashOf(20));
    await witness.sealed({ toPosition: 10, headHash: hashOf(10) });
    expect(clock.calls).toBe(1);
    await witness.sealed({ toPosition: 6, headHash: hashOf(6) });
    await witness.sealed({ toPosition: 10, headHash: hashOf(1010) });
    // Nothing new: no second write, and the first seal stands in memory and on disk.
    expect(clock.calls).toBe(1);
    expect(onDisk(options.path).sealed).toEqual({ toPosition: 10, headHash: hashOf(10) });
    expect((await witness.floor())?.sealed).toEqual({ toPosition: 10, headHash: hashOf(10) });

    await witness.sealed({ toPosition: 12, headHash: hashOf(12) });
    expect(clock.calls).toBe(2);
    expect(onDisk(options.path)).toMatchObject({ acknowledged: { position: 20 }, sealed: { toPosition: 12, headHash: hashOf(12) }, writtenAt: '2026-01-01T00:00:02.000Z' });
    await witness.close();
    expect(clock.calls).toBe(2);
  });

  it('ignores a seal before any acknowledgement and writes no file', async () => {
    const clock = steppingClock('2026-01-01T00:00:00.000Z');
    const options = witnessOptions({ clock });
    const witness = await LedgerWitnessFile.open(options);
    await expect(witness.sealed({ toPosition: 3, headHash: hashOf(3) })).resolves.toBeUndefined();
    expect(await witness.floor()).toBeNull();
    expect(existsSync(options.path)).toBe(false);
    await witness.close();
    expect(clock.calls).toBe(0);
  });

  it('does not rewrite a file that already holds every acknowledgement', async () => {
    const clock = steppingClock('2026-01-01T00:00:00.000Z');
    const options = witnessOptions({ clock, intervalMs: 20 });
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(5, hashOf(5));
    // The first acknowledgement is written without waiting (no earlier write to space from).
    await vi.waitFor(() => expect(existsSync(options.path)).toBe(true), { timeout: 10_000 });
    await sleep(60);
    await witness.close();
    expect(clock.calls).toBe(1);
  });

  it('writes nothing after close', async () => {
    const options = witnessOptions({ intervalMs: 10 });
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(5, hashOf(5));
    await witness.close();
    const before = readFileSync(options.path, 'utf8');
    witness.acknowledge(9, hashOf(9));
    await witness.sealed({ toPosition: 8, headHash: hashOf(8) });
    await sleep(60);
    expect(readFileSync(options.path, 'utf8')).toBe(before);
  });

  it('writes the first acknowledgement at once and a later one only intervalMs after the previous write', async () => {
    const clock = steppingClock('2026-01-01T00:00:01.000Z', '2026-01-01T00:00:02.000Z');
    const options = witnessOptions({ clock, intervalMs: 10_000 });
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(1, hashOf(1));
    await vi.waitFor(() => expect(existsSync(options.path)).toBe(true), { timeout: 10_000 });
    witness.acknowledge(2, hashOf(2));
    // 10 s must pass since the first write: 150 ms later the file still holds position 1.
    await sleep(150);
    expect(clock.calls).toBe(1);
    expect(onDisk(options.path).acknowledged.position).toBe(1);
    await witness.close();
    expect(clock.calls).toBe(2);
    expect(onDisk(options.path)).toMatchObject({ acknowledged: { position: 2 }, writtenAt: '2026-01-01T00:00:02.000Z' });
  });
});

describe('reading what the file holds', () => {
  it('starts from the file, with its writtenAt, and does not rewrite it when nothing is new', async () => {
    const options = witnessOptions({ clock: steppingClock('2026-02-02T02:02:02.002Z') });
    const first = await LedgerWitnessFile.open(options);
    first.acknowledge(9, hashOf(9));
    await first.sealed({ toPosition: 6, headHash: hashOf(6) });
    await first.close();
    const text = readFileSync(options.path, 'utf8');

    const clock = steppingClock('2026-03-03T03:03:03.003Z');
    const second = await LedgerWitnessFile.open({ ...options, clock });
    expect(await second.floor()).toEqual({
      acknowledged: { position: 9, hash: hashOf(9) },
      sealed: { toPosition: 6, headHash: hashOf(6) },
      writtenAt: '2026-02-02T02:02:02.002Z',
      problem: null,
    });
    await second.close();
    expect(clock.calls).toBe(0);
    expect(readFileSync(options.path, 'utf8')).toBe(text);
  });

  it('takes the higher seal of the file and memory, whichever holds it', async () => {
    // Memory sealed to 6, the file (written by a sharing process) to 10.
    const lower = await witnessOverwritten(6, { acknowledged: { position: 20, hash: hashOf(20) }, sealed: { toPosition: 10, headHash: hashOf(10) } });
    // Same acknowledged position as this process wrote: the file is as high, so its writtenAt is the one to report.
    expect(await lower.floor()).toEqual({
      acknowledged: { position: 20, hash: hashOf(20) },
      sealed: { toPosition: 10, headHash: hashOf(10) },
      writtenAt: THEIR_WRITE,
      problem: null,
    });

    // Memory sealed to 10, the file to 6.
    const higher = await witnessOverwritten(10, { acknowledged: { position: 20, hash: hashOf(20) }, sealed: { toPosition: 6, headHash: hashOf(6) } });
    expect((await higher.floor())?.sealed).toEqual({ toPosition: 10, headHash: hashOf(10) });
  });

  it('takes a seal from the file when memory has none, and keeps its own when the file has none', async () => {
    const unsealed = await witnessOverwritten(null, { acknowledged: { position: 20, hash: hashOf(20) }, sealed: { toPosition: 15, headHash: hashOf(15) } });
    expect((await unsealed.floor())?.sealed).toEqual({ toPosition: 15, headHash: hashOf(15) });

    const sealed = await witnessOverwritten(15, { acknowledged: { position: 20, hash: hashOf(20) }, sealed: null });
    expect((await sealed.floor())?.sealed).toEqual({ toPosition: 15, headHash: hashOf(15) });
  });

  it("on a tie (same position, another hash) keeps this process's own acknowledgement and seal", async () => {
    const witness = await witnessOverwritten(10, { acknowledged: { position: 20, hash: hashOf(2020) }, sealed: { toPosition: 10, headHash: hashOf(1010) } });
    expect(await witness.floor()).toMatchObject({ acknowledged: { position: 20, hash: hashOf(20) }, sealed: { toPosition: 10, headHash: hashOf(10) } });
  });

  it('a file lower than what this process wrote does not lower the bound nor replace its writtenAt', async () => {
    const options = witnessOptions({ clock: steppingClock('2026-05-05T05:05:05.005Z') });
    const witness = await LedgerWitnessFile.open(options);
    witness.acknowledge(50, hashOf(50));
    await witness.close();
    // A sharing process that lost a race wrote a lower (validly signed) witness over it.
    writeAsAnotherProcess(options.path, { acknowledged: { position: 20, hash: hashOf(20) }, sealed: null }, '2026-06-06T06:06:06.006Z');
    expect(await witness.floor()).toEqual({ acknowledged: { position: 50, hash: hashOf(50) }, sealed: null, writtenAt: '2026-05-05T05:05:05.005Z', problem: null });
  });
});

describe('a witness file that fails its checks', () => {
  it('is moved aside under a name made from the clock, logged, and reported with a zero bound', async () => {
    const { error, logger } = fakeLogger();
    const options = witnessOptions({ clock: steppingClock('2026-07-08T09:10:11.012Z'), logger });
    writeFileSync(options.path, 'not json{');
    const witness = await LedgerWitnessFile.open(options);
    // ':' and '.' of the ISO date become '-'.
    const aside = `${options.path}.rejected-2026-07-08T09-10-11-012Z`;
    expect(readFileSync(aside, 'utf8')).toBe('not json{');
    expect(existsSync(options.path)).toBe(false);
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith({ path: options.path, aside, problem: 'malformed witness' }, 'ledger witness rejected');
    expect(await witness.floor()).toEqual({
      acknowledged: { position: 0, hash: '' },
      sealed: null,
      writtenAt: null,
      problem: `the ledger witness file was rejected (malformed witness); it was moved to ${aside}`,
    });
    await witness.close();
  });

  it('stays reported after rejection, while a valid file written later is adopted with its writtenAt', async () => {
    const options = witnessOptions({ clock: steppingClock('2026-07-08T09:10:11.012Z') });
    writeFileSync(options.path, '{}');
    const witness = await LedgerWitnessFile.open(options);
    writeAsAnotherProcess(options.path, { acknowledged: { position: 30, hash: hashOf(30) }, sealed: null }, '2026-08-08T08:08:08.008Z');
    expect(await witness.floor()).toEqual({
      acknowledged: { position: 30, hash: hashOf(30) },
      sealed: null,
      writtenAt: '2026-08-08T08:08:08.008Z',
      problem: `the ledger witness file was rejected (malformed witness); it was moved to ${options.path}.rejected-2026-07-08T09-10-11-012Z`,
    });
  });

  it('is left to another reader that moved it first, without a problem', async () => {
    const { error, logger } = fakeLogger();
    const options = witnessOptions({ logger });
    writeFileSync(options.path, 'garbage');
    // The clock is read to name the file aside, after the file was read: another reader moves it at that moment.
    const clock = () => {
      if (existsSync(options.path)) renameSync(options.path, `${options.path}.rejected-by-the-other-reader`);
      return new Date('2026-01-01T00:00:00.000Z');
    };
    const witness = await LedgerWitnessFile.open({ ...options, clock });
    expect(await witness.floor()).toBeNull();
    expect(error).not.toHaveBeenCalled();
    expect(readdirSync(join(options.path, '..'))).toEqual(['ledger-witness.json.rejected-by-the-other-reader']);
  });

  it('cannot be moved aside when something else holds that name: the read fails and is reported, not adopted', async () => {
    const options = witnessOptions({ clock: steppingClock('2026-07-08T09:10:11.012Z') });
    const witness = await LedgerWitnessFile.open(options);
    writeFileSync(options.path, 'garbage');
    // A non-empty directory at the aside name: rename(2) of a file onto a directory fails with EISDIR.
    const aside = `${options.path}.rejected-2026-07-08T09-10-11-012Z`;
    mkdirSync(aside);
    writeFileSync(join(aside, 'keep'), '');
    expect(await witness.floor()).toEqual({ acknowledged: { position: 0, hash: '' }, sealed: null, writtenAt: null, problem: 'the ledger witness file could not be read (EISDIR)' });
    expect(readFileSync(options.path, 'utf8')).toBe('garbage');
    // Once the name is free the file is rejected as usual.
    rmSync(aside, { recursive: true });
    expect((await witness.floor())?.problem).toBe(`the ledger witness file was rejected (malformed witness); it was moved to ${aside}`);
  });
});

describe('a write that fails', () => {
  /** A witness whose file is in a `keys` directory removed once it is open: its next write fails until `keys` is made again. */
  async function witnessLosingItsDirectory(overrides: Partial<LedgerWitnessFileOptions>) {
    const base = witnessOptions({ intervalMs: 20, ...overrides });
    const keys = join(base.path, '..', 'keys');
    mkdirSync(keys);
    const options = { ...base, path: join(keys, 'ledger-witness.json') };
    const witness = await LedgerWitnessFile.open(options);
    rmSync(keys, { recursive: true });
    return { witness, options, keys };
  }

  it('is logged with the error and path, and the next acknowledgement writes again', async () => {
    const { error, logger } = fakeLogger();
    const { witness, options, keys } = await witnessLosingItsDirectory({ logger });
    witness.acknowledge(5, hashOf(5));
    await vi.waitFor(() => expect(error).toHaveBeenCalledTimes(1), { timeout: 10_000 });
    expect(error).toHaveBeenCalledWith({ err: expect.objectContaining({ code: 'ENOENT' }), path: options.path }, 'ledger witness write failed; retrying with the next acknowledgement');
    mkdirSync(keys);
    witness.acknowledge(6, hashOf(6));
    await vi.waitFor(() => expect(existsSync(options.path)).toBe(true), { timeout: 10_000 });
    expect(onDisk(options.path).acknowledged).toEqual({ position: 6, hash: hashOf(6) });
    await witness.close();
  });

  it('without a logger is dropped quietly (no unhandled rejection), and the next acknowledgement writes again', async () => {
    const { witness, options, keys } = await witnessLosingItsDirectory({});
    witness.acknowledge(5, hashOf(5));
    await sleep(60);
    mkdirSync(keys);
    witness.acknowledge(6, hashOf(6));
    // Position 6, not only a file: on a loaded machine the failed write of 5 may come after the directory is back.
    await vi.waitFor(() => expect(onDisk(options.path).acknowledged.position).toBe(6), { timeout: 10_000 });
    await witness.close();
  });
});
