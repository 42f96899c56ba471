import type { StoredEvent } from './envelope.js';
import type { EventStore, LedgerHead, VerificationResult, VerifyOptions } from './event-store.js';
import { GENESIS_HASH, findChainBreak } from './hash-chain.js';
import { LEDGER_SEALED, LEDGER_STREAM, checkSeal, ledgerSealedSchema } from './ledger-seal.js';
import type { WitnessFloor } from './ledger-witness.js';

const PAGE = 5000;

type Store = Pick<EventStore, 'readAll' | 'head' | 'readStream'>;
type Finding = { checked: number; sealsChecked: number; broken: { position: number | null; reason: string } | null };

/**
 * Re-walks the hash chain over [from, to] in pages and checks every `ledger.sealed` event whose
 * segment lies inside the walk (signature, Merkle root, head hash), then holds the ledger against the
 * witness: a chain whose newest rows were deleted still links, so only a bound kept elsewhere shows
 * that its tail is gone. Memory stays bounded by one page plus the hashes of the segment not yet sealed.
 */
export async function verifyLedger(store: Store, options: VerifyOptions & { trustedKeyIds?: Set<string> } = {}): Promise<VerificationResult> {
  const head = await store.head();
  const from = Math.max(1, options.from ?? 1);
  const to = Math.min(options.to ?? head.position, head.position);
  const [lastSeal] = await store.readStream(LEDGER_STREAM, { direction: 'backwards', limit: 1 });
  const sealedThrough = Number(ledgerSealedSchema.safeParse(lastSeal?.data).data?.toPosition ?? 0);
  const witness = options.witness ?? null;
  const sealArchive = options.sealArchive ?? null;
  const range = { from, to, requestedTo: options.to };
  const walked = to < from ? { checked: 0, sealsChecked: 0, broken: null } : await walkChain(store, from, to, options.trustedKeyIds);
  const broken =
    walked.broken ??
    (witness ? await checkFloor(store, head, range, witness, { source: 'ledger witness', acknowledged: 'acknowledged' }) : null) ??
    (sealArchive ? await checkFloor(store, head, range, sealArchive, { source: 'NATS seal archive', acknowledged: 'archived' }) : null);
  return {
    ok: broken === null,
    from,
    to,
    scope: { from, to, whole: from === 1 && to === head.position },
    checked: walked.checked,
    headPosition: head.position,
    headHash: head.hash,
    firstBrokenPosition: broken?.position ?? null,
    reason: broken?.reason ?? null,
    sealsChecked: walked.sealsChecked,
    sealedThrough,
    unsealedEvents: Math.max(0, head.position - sealedThrough),
    witness: witness && summary(witness),
    sealArchive: sealArchive && summary(sealArchive),
  };
}

const summary = (floor: WitnessFloor) => ({ acknowledgedPosition: floor.acknowledged.position, sealedThrough: floor.sealed?.toPosition ?? 0, writtenAt: floor.writtenAt });

async function walkChain(store: Store, from: number, to: number, trustedKeyIds: Set<string> | undefined): Promise<Finding> {
  let prev = { position: 0, hash: GENESIS_HASH };
  if (from > 1) {
    const [before] = await store.readAll({ after: from - 2, limit: 1 });
    if (!before || before.position !== from - 1) return { checked: 0, sealsChecked: 0, broken: { position: from - 1, reason: `position ${from - 1} is missing` } };
    prev = { position: before.position, hash: before.hash };
  }

  // Hashes of positions after the last verified seal, for the next seal's Merkle root.
  const pending = new Map<number, string>();
  let checked = 0;
  let sealsChecked = 0;
  let after = from - 1;
  const finding = (position: number, reason: string, extra = 0): Finding => ({ checked: checked + extra, sealsChecked, broken: { position, reason } });
  while (after < to) {
    const page: StoredEvent[] = await store.readAll({ after, to, limit: PAGE });
    if (page.length === 0) return finding(after + 1, `position ${after + 1} is missing`);
    const broken = findChainBreak(page, prev);
    if (broken) return finding(broken.position, broken.reason, broken.position - after - 1);
    for (const event of page) {
      pending.set(event.position, event.hash);
      if (event.type === LEDGER_SEALED) {
        const parsed = ledgerSealedSchema.safeParse(event.data);
        if (!parsed.success) return finding(event.position, 'malformed ledger.sealed event');
        const seal = parsed.data;
        if (seal.fromPosition >= from) {
          const hashes: string[] = [];
          for (let p = seal.fromPosition; p <= seal.toPosition; p++) {
            const h = pending.get(p);
            if (h !== undefined) hashes.push(h);
          }
          const problem = checkSeal(seal, hashes, trustedKeyIds);
          if (problem) return finding(event.position, problem);
          sealsChecked++;
        }
        for (const p of pending.keys()) if (p <= seal.toPosition) pending.delete(p);
      }
      checked++;
    }
    const last = page[page.length - 1]!;
    prev = { position: last.position, hash: last.hash };
    after = last.position;
  }
  return { checked, sealsChecked, broken: null };
}

/**
 * The ledger only grows: its head must reach every position a bound kept outside it vouches for (the
 * witness, the newest archived seal), and the events there must still carry the hashes recorded
 * (deleting the tail and appending anew relinks the chain but not those). Only what lies in the
 * verified range is judged; a range ending before the head cannot tell a short tail.
 */
async function checkFloor(
  store: Store,
  head: LedgerHead,
  range: { from: number; to: number; requestedTo: number | undefined },
  witness: WitnessFloor,
  /** Where the bound comes from, and what its acknowledged position is (a position answered to a caller, or the newest archived seal's own). */
  as: { source: string; acknowledged: string },
): Promise<Finding['broken']> {
  if (witness.problem) return { position: null, reason: witness.problem };
  const acknowledged = witness.acknowledged.position;
  const sealed = witness.sealed?.toPosition ?? 0;
  const bound = Math.max(acknowledged, sealed);
  if (head.position < bound && (range.requestedTo === undefined || range.requestedTo > head.position)) {
    const promised = [acknowledged > head.position ? `position ${acknowledged} was ${as.acknowledged}` : null, sealed > head.position ? `positions up to ${sealed} were sealed` : null].filter(Boolean).join(' and ');
    const missing = bound === head.position + 1 ? `position ${bound} is missing` : `positions ${head.position + 1}-${bound} are missing`;
    return { position: head.position + 1, reason: `the ledger ends at position ${head.position}, but ${promised} (${as.source}): ${missing}` };
  }
  const recorded: [number, string, string][] = [[acknowledged, witness.acknowledged.hash, as.acknowledged]];
  if (witness.sealed) recorded.push([sealed, witness.sealed.headHash, 'sealed']);
  for (const [position, hash, what] of recorded) {
    if (position < range.from || position > range.to) continue;
    const [event] = await store.readAll({ after: position - 1, limit: 1 });
    if (event?.position === position && event.hash !== hash) {
      return { position, reason: `position ${position} does not hold the event ${what} there (${as.source}): the ledger was rewritten at or before it` };
    }
  }
  return null;
}
