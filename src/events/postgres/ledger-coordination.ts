import { createHash } from 'node:crypto';

/**
 * The names through which processes sharing one ledger coordinate on PostgreSQL: the NOTIFY
 * channel that announces its commits, and the keys of the advisory locks of its append path
 * (docs/ledger.md). NOTIFY channels and advisory locks belong to the database, not to a schema, so
 * ledgers in two schemas of one database (tenants, parallel test files, a benchmark beside a
 * server) must not share them: each would hear the other's positions (its followers, told of a
 * position their own ledger does not have yet, read and wake again at once: a busy loop until
 * their ledger caught up) and wait on the other's appends. Each schema gets its own names.
 *
 * The `public` schema keeps the names earlier versions used for every schema, so processes of an
 * earlier and this version appending to one ledger during a rolling upgrade still share its locks.
 */
export type LedgerCoordination = {
  /** NOTIFY channel; the payload is the last committed position. */
  channel: string;
  /** Transaction-scoped advisory lock that serialises appends (ARCHITECTURE.md design (b)). */
  appendLockKey: number;
  /**
   * Held shared by optimistic appends from their start and exclusively by locked appends before the
   * append lock: a locked append then never waits, holding the append lock, on rows an optimistic
   * append inserted before taking it (which would deadlock).
   */
  insertPhaseLockKey: number;
};

const LEGACY: LedgerCoordination = { channel: 'raia_events_appended', appendLockKey: 0x52414941 /* "RAIA" */, insertPhaseLockKey: 0x52414942 };

/** 52 bits of SHA-256: a bigint lock key that JavaScript numbers hold exactly; a collision between two schemas is a 2^-52 chance. */
const key52 = (text: string) => parseInt(createHash('sha256').update(text).digest('hex').slice(0, 13), 16);

export function ledgerCoordination(schema: string): LedgerCoordination {
  if (schema === 'public') return LEGACY;
  // Channel names are identifiers (63 bytes at most, longer ones are cut): a digest keeps every schema's distinct.
  const digest = createHash('sha256').update(schema).digest('hex').slice(0, 32);
  return {
    channel: `raia_events_${digest}`,
    // The single-bigint key space, which never overlaps the two-integer one of the group locks.
    appendLockKey: key52(`${schema}\u0000append`),
    insertPhaseLockKey: key52(`${schema}\u0000insert-phase`),
  };
}
