import type { Writable } from 'node:stream';
import type pg from 'pg';

/** What of node-postgres's connection this uses (its typings leave it out). */
type CopyConnection = { stream: Writable; query(text: string): void; endCopyFrom(): void; sendCopyFail(message: string): void };

/** CopyData message header: type byte `d`, then the length of the message without its type byte. */
function copyDataHeader(dataBytes: number): Buffer {
  const header = Buffer.allocUnsafe(5);
  header[0] = 0x64;
  header.writeUInt32BE(dataBytes + 4, 1);
  return header;
}

/**
 * A script of statements (simple query protocol) holding one `COPY … FROM STDIN`, submitted to a
 * node-postgres client with its rows: the rows and the end of the copy are written right behind
 * the script, without waiting for the server to ask for them, so the whole transaction is one
 * message to the server and it never waits on this process in the middle of it. (pg-copy-streams
 * sends a COPY alone and its data only once asked: three round trips, and a backend idle whenever
 * this thread is busy.) If a statement before the COPY fails, the server skips the rest of the
 * script and ignores the copy messages that follow, as the protocol specifies.
 *
 * The statements' rows are not returned: such a script is for writing. Implements the client's
 * `Submittable` (`client.query(script)`); `done` settles at the script's end or first error.
 */
export class PostgresCopyScript implements pg.Submittable {
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (error: unknown) => void;
  private copyAsked = false;

  constructor(
    private readonly text: string,
    private readonly rows: string | Uint8Array,
  ) {
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  submit(pgConnection: pg.Connection): void {
    const connection = pgConnection as unknown as CopyConnection;
    const rows = typeof this.rows === 'string' ? Buffer.from(this.rows) : this.rows;
    // Corked: the script, the rows and the end of the copy leave in one write (each socket write
    // to a loopback server costs a system call and a wake-up of its backend), and the rows are
    // written as they are rather than copied into a message buffer first.
    connection.stream.cork();
    try {
      connection.query(this.text);
      connection.stream.write(copyDataHeader(rows.length));
      connection.stream.write(rows);
      connection.endCopyFrom();
    } finally {
      connection.stream.uncork();
    }
  }

  handleCopyInResponse(connection: CopyConnection): void {
    // The rows went with the script; a second COPY would wait for rows forever.
    if (this.copyAsked) connection.sendCopyFail('a copy script holds one COPY FROM STDIN');
    this.copyAsked = true;
  }

  handleError(error: unknown): void {
    this.reject(error);
  }

  handleReadyForQuery(): void {
    if (this.copyAsked) this.resolve();
    else this.reject(new Error('the copy script ran no COPY FROM STDIN'));
  }

  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handleCopyData(): void {}
  handlePortalSuspended(): void {}
}
