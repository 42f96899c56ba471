import type { StoredEvent } from './envelope.js';
import type { EventStore, VerificationResult } from './event-store.js';
import { GENESIS_HASH, findChainBreak } from './hash-chain.js';
import { LEDGER_SEALED, checkSeal, ledgerSealedSchema } from './ledger-seal.js';

const PAGE = 5000;

/**
 * Re-walks the hash chain over [from, to] in pages and checks every `ledger.sealed` event whose
 * segment lies inside the walk (signature, Merkle root, head hash). Memory stays bounded by one
 * page plus the hashes of the segment not yet sealed.
 */
export async function verifyLedger(
  store: Pick<EventStore, 'readAll' | 'head'>,
  options: { from?: number; to?: number; trustedKeyIds?: Set<string> } = {},
): Promise<VerificationResult> {
  const head = await store.head();
  const from = Math.max(1, options.from ?? 1);
  const to = Math.min(options.to ?? head.position, head.position);
  const result = (fields: Partial<VerificationResult>): VerificationResult => ({
    ok: true,
    from,
    to,
    checked: 0,
    headPosition: head.position,
    headHash: head.hash,
    firstBrokenPosition: null,
    reason: null,
    sealsChecked: 0,
    ...fields,
  });
  if (to < from) return result({});

  let prev = { position: 0, hash: GENESIS_HASH };
  if (from > 1) {
    const [before] = await store.readAll({ after: from - 2, limit: 1 });
    if (!before || before.position !== from - 1) return result({ ok: false, firstBrokenPosition: from - 1, reason: `position ${from - 1} is missing` });
    prev = { position: before.position, hash: before.hash };
  }

  // Hashes of positions after the last verified seal, for the next seal's Merkle root.
  const pending = new Map<number, string>();
  let checked = 0;
  let sealsChecked = 0;
  let after = from - 1;
  while (after < to) {
    const page: StoredEvent[] = await store.readAll({ after, to, limit: PAGE });
    if (page.length === 0) return result({ ok: false, checked, sealsChecked, firstBrokenPosition: after + 1, reason: `position ${after + 1} is missing` });
    const broken = findChainBreak(page, prev);
    if (broken) return result({ ok: false, checked: checked + (broken.position - after - 1), sealsChecked, firstBrokenPosition: broken.position, reason: broken.reason });
    for (const event of page) {
      pending.set(event.position, event.hash);
      if (event.type === LEDGER_SEALED) {
        const parsed = ledgerSealedSchema.safeParse(event.data);
        if (!parsed.success) return result({ ok: false, checked, sealsChecked, firstBrokenPosition: event.position, reason: 'malformed ledger.sealed event' });
        const seal = parsed.data;
        if (seal.fromPosition >= from) {
          const hashes: string[] = [];
          for (let p = seal.fromPosition; p <= seal.toPosition; p++) {
            const h = pending.get(p);
            if (h !== undefined) hashes.push(h);
          }
          const problem = checkSeal(seal, hashes, options.trustedKeyIds);
          if (problem) return result({ ok: false, checked, sealsChecked, firstBrokenPosition: event.position, reason: problem });
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
  return result({ checked, sealsChecked });
}
