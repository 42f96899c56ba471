import type { KeyObject } from 'node:crypto';
import { readFile, rename } from 'node:fs/promises';
import { writeFileAtomically } from '../platform/atomic-file-write.js';
import type { Logger } from '../platform/logger.js';
import { checkWitness, signWitness, type WitnessBody, type WitnessFloor } from './ledger-witness.js';

export const LEDGER_WITNESS_FILE = 'ledger-witness.json';

export type LedgerWitnessFileOptions = {
  /** Usually `<data dir>/keys/ledger-witness.json`, beside the key that signs it. */
  path: string;
  signingKey: KeyObject;
  verifyKey: KeyObject;
  /** Signers whose witnesses are accepted: this process's key and earlier ones (key rotation). */
  trustedKeyIds: Set<string>;
  /** Acknowledgements are written at most this often (a seal is written at once). */
  intervalMs: number;
  logger?: Logger;
  clock?: () => Date;
};

type Read = { body: WitnessBody | null; writtenAt: string | null };

const higher = (a: WitnessBody | null, b: WitnessBody | null): WitnessBody | null => {
  if (!a || !b) return a ?? b;
  const sealed = !a.sealed || !b.sealed ? (a.sealed ?? b.sealed) : a.sealed.toPosition >= b.sealed.toPosition ? a.sealed : b.sealed;
  return { acknowledged: a.acknowledged.position >= b.acknowledged.position ? a.acknowledged : b.acknowledged, sealed };
};

/**
 * Keeps the ledger witness (`ledger-witness.ts`) in a file, off the append path: an acknowledgement
 * only updates memory, and a write (sign, write a temporary file, fsync, rename) follows at most every
 * `intervalMs`, so the file lags the last acknowledgement by about that much and is a lower bound.
 *
 * Several processes may share the file (one data dir, one database): each write takes the higher of
 * the file and what this process knows, so the file holds the highest bound any of them wrote, give or
 * take two writes racing (then the next write of the one that lost restores it; the bound only ever
 * errs low). Each process checks against the file and its own memory.
 */
export class LedgerWitnessFile {
  private known: WitnessBody | null = null;
  private writtenAt: string | null = null;
  /** Acknowledged position and sealed end the file holds as of this process's last read or write. */
  private onDisk = { acknowledged: 0, sealed: 0 };
  private problem: string | null = null;
  private queue: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private lastWriteAt = 0;
  private closed = false;
  private readonly clock: () => Date;

  private constructor(private readonly options: LedgerWitnessFileOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** Reads the witness a previous run (or another process) left; a file that fails its checks is moved aside. */
  static async open(options: LedgerWitnessFileOptions): Promise<LedgerWitnessFile> {
    const file = new LedgerWitnessFile(options);
    await file.adoptDisk();
    return file;
  }

  /** Records that `position` (whose event has `hash`) was answered to a caller. Cheap; written later. */
  acknowledge(position: number, hash: string): void {
    if (this.known && position <= this.known.acknowledged.position) return;
    this.known = { acknowledged: { position, hash }, sealed: this.known?.sealed ?? null };
    this.schedule();
  }

  /**
   * Records a seal covering up to `toPosition` and writes the witness now. The seal event itself was
   * acknowledged by its append (`witnessed-event-store.ts`), so this always follows an acknowledgement.
   */
  async sealed(seal: { toPosition: number; headHash: string }): Promise<void> {
    if (!this.known) return;
    if (!this.known.sealed || seal.toPosition > this.known.sealed.toPosition) this.known = { ...this.known, sealed: seal };
    await this.write();
  }

  /** The bound `verify` checks against: the file (re-read, so a sharing process's writes count) and this process's memory. */
  async floor(): Promise<WitnessFloor | null> {
    // A file that cannot be read (permissions, I/O) leaves the bound unknown: verify says so, and does not fail with a 500.
    const unreadable = await this.adoptDisk().then(
      () => null,
      (error: unknown) => `the ledger witness file could not be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`,
    );
    const problem = this.problem ?? unreadable;
    if (!this.known && !problem) return null;
    return {
      acknowledged: this.known?.acknowledged ?? { position: 0, hash: '' },
      sealed: this.known?.sealed ?? null,
      writtenAt: this.writtenAt,
      problem,
    };
  }

  /** Writes what is pending and stops writing. */
  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.write();
    this.closed = true;
  }

  private schedule(): void {
    if (this.timer || this.closed) return;
    const wait = Math.max(0, this.lastWriteAt + this.options.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.write().catch((err: unknown) => this.options.logger?.error({ err, path: this.options.path }, 'ledger witness write failed; retrying with the next acknowledgement'));
    }, wait);
    this.timer.unref();
  }

  /** One write at a time, in order; skipped when the file already holds everything known. */
  private write(): Promise<void> {
    const run = async () => {
      if (this.closed || !this.known) return;
      if (this.known.acknowledged.position <= this.onDisk.acknowledged && (this.known.sealed?.toPosition ?? 0) <= this.onDisk.sealed) return;
      await this.adoptDisk();
      const body = this.known;
      const now = this.clock();
      this.lastWriteAt = Date.now();
      await writeFileAtomically(this.options.path, `${JSON.stringify(signWitness(body, now, this.options.signingKey, this.options.verifyKey), null, 2)}\n`);
      this.writtenAt = now.toISOString();
      this.onDisk = { acknowledged: body.acknowledged.position, sealed: body.sealed?.toPosition ?? 0 };
      if (this.known.acknowledged.position > this.onDisk.acknowledged) this.schedule();
    };
    const next = this.queue.then(run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Takes in what the file holds, if it is higher; a file that fails its checks is kept aside as evidence. */
  private async adoptDisk(): Promise<void> {
    const read = await this.readDisk();
    if (!read.body) return;
    this.known = higher(this.known, read.body);
    if (read.body.acknowledged.position >= this.onDisk.acknowledged) {
      this.onDisk = { acknowledged: read.body.acknowledged.position, sealed: read.body.sealed?.toPosition ?? 0 };
      this.writtenAt = read.writtenAt;
    }
  }

  private async readDisk(): Promise<Read> {
    const { path } = this.options;
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { body: null, writtenAt: null };
      throw error;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = null;
    }
    const checked = checkWitness(value, this.options.trustedKeyIds);
    if ('witness' in checked) return { body: { acknowledged: checked.witness.acknowledged, sealed: checked.witness.sealed }, writtenAt: checked.witness.writtenAt };
    const aside = `${path}.rejected-${this.clock().toISOString().replace(/[:.]/g, '-')}`;
    try {
      await rename(path, aside);
    } catch (error) {
      // Two readers met the same bad file and the other one moved it.
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { body: null, writtenAt: null };
      throw error;
    }
    // Sticky for this process's life: the bound it vouched for is unknown, and a rewrite must not erase that.
    this.problem = `the ledger witness file was rejected (${checked.problem}); it was moved to ${aside}`;
    this.onDisk = { acknowledged: 0, sealed: 0 };
    this.options.logger?.error({ path, aside, problem: checked.problem }, 'ledger witness rejected');
    return { body: null, writtenAt: null };
  }
}
