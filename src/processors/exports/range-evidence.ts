import { eachHash } from '../../events/bulk-ledger-reads.js';
import type { EventStore, PositionHash } from '../../events/event-store.js';
import { sealCovering, type SealRef } from './evidence-manifest.js';
import { MerkleTreeStream } from './merkle-inclusion.js';

/** An end of a range proven in the pass over it: the seal (index into the seals given) and the audit path. */
export type RangeEndProof = { seal: number; leafIndex: number; proof: string[] };

type SegmentTree = { seal: number; from: number; to: number; tree: MerkleTreeStream };

/**
 * The evidence of an audit-log range, gathered as its events stream past: the RFC 6962 root over
 * their hashes (evidence-manifest.ts EvidenceRange) and, when the range is every position of an
 * interval (no filter), the audit paths of its two ends against the seals covering them. Those ends
 * are known before the read, so their paths come from the same pass (MerkleTreeStream), plus the
 * hashes of their seal segments outside the range; a filtered range's ends are proven afterwards
 * (evidence-manifest.ts proveEvents), which reads their segments again.
 */
export class RangeEvidence<E extends PositionHash> {
  private readonly rangeTree = new MerkleTreeStream();
  /** Seal segments of the ends, with the range tree among them when a segment starts where the range does. */
  private readonly segments: SegmentTree[] = [];
  private readonly interval: { from: number; to: number } | null;
  private expected: number;
  first: E | null = null;
  private lastEvent: E | null = null;
  /** The last event given to `addBytes`, kept as bytes (made an event only when asked for). */
  private lastPosition = 0;
  private lastHash: Buffer | null = null;
  private lastOffset = 0;

  constructor(seals: SealRef[], interval: { from: number; to: number } | null) {
    const a = interval ? sealCovering(seals, interval.from) : -1;
    const b = interval ? sealCovering(seals, interval.to) : -1;
    this.interval = interval && interval.from <= interval.to && a >= 0 && b >= 0 ? interval : null;
    this.expected = this.interval?.from ?? 0;
    if (!this.interval) return;
    const { from, to } = this.interval;
    for (const index of a === b ? [a] : [a, b]) {
      const { fromPosition, toPosition } = seals[index]!.seal;
      const size = toPosition - fromPosition + 1;
      const ends = [from, to].filter((p) => fromPosition <= p && p <= toPosition);
      const proofs = [...new Set(ends)].map((p) => ({ index: p - fromPosition, size }));
      // Same first leaf, same tree: the range's root and the segment's paths share every hash.
      const tree = fromPosition === from ? this.rangeTree : new MerkleTreeStream();
      tree.want(proofs);
      this.segments.push({ seal: index, from: fromPosition, to: toPosition, tree });
    }
  }

  /** Feeds the part of the first end's segment before the range (read as hashes only). */
  async prepare(store: EventStore): Promise<void> {
    if (!this.interval) return;
    for (const s of this.segments) if (s.from < this.interval.from) await eachHash(store, s.from - 1, this.interval.from - 1, (e) => s.tree.add(e.hash));
  }

  /** The last event given. */
  get last(): E | null {
    // Set only by `addBytes`, whose ranges hold positions and hashes only.
    if (this.lastHash) {
      this.lastEvent = { position: this.lastPosition, hash: this.lastHash.toString('hex', this.lastOffset, this.lastOffset + 32) } as E;
      this.lastHash = null;
    }
    return this.lastEvent;
  }

  add(event: E): void {
    this.first ??= event;
    this.lastEvent = event;
    this.lastHash = null;
    this.rangeTree.add(event.hash);
    if (!this.interval) return;
    if (event.position !== this.expected++) throw new Error(`the range read skipped or repeated a position at ${event.position}`);
    for (const s of this.segments) if (s.tree !== this.rangeTree && s.from <= event.position && event.position <= s.to) s.tree.add(event.hash);
  }

  /** `add` for an event given as its position and its hash's 32 bytes at `offset` in `hashes` (a range of positions and hashes only). */
  addBytes(this: RangeEvidence<PositionHash>, position: number, hashes: Buffer, offset: number): void {
    this.first ??= { position, hash: hashes.toString('hex', offset, offset + 32) };
    this.lastPosition = position;
    this.lastHash = hashes;
    this.lastOffset = offset;
    this.rangeTree.addBytes(hashes, offset);
    if (!this.interval) return;
    if (position !== this.expected++) throw new Error(`the range read skipped or repeated a position at ${position}`);
    for (const s of this.segments) if (s.tree !== this.rangeTree && s.from <= position && position <= s.to) s.tree.addBytes(hashes, offset);
  }

  get count(): number {
    return this.rangeTree.count;
  }

  /** The range's root, then (feeding the end segments' parts past the range) the ends' audit paths when they came from the pass. */
  async finish(store: EventStore): Promise<{ root: string; count: number; ends: { first: RangeEndProof; last: RangeEndProof } | null }> {
    const root = this.rangeTree.root();
    const count = this.rangeTree.count;
    const last = this.last;
    if (!this.interval || !this.first || !last) return { root, count, ends: null };
    if (this.expected !== this.interval.to + 1) throw new Error(`the range read ended at ${this.expected - 1}, not ${this.interval.to}`);
    for (const s of this.segments) if (s.to > this.interval.to) await eachHash(store, this.interval.to, s.to, (e) => s.tree.add(e.hash));
    const endProof = (position: number): RangeEndProof => {
      const s = this.segments.find((x) => x.from <= position && position <= x.to)!;
      return { seal: s.seal, leafIndex: position - s.from, proof: s.tree.proof(position - s.from, s.to - s.from + 1) };
    };
    return { root, count, ends: { first: endProof(this.first.position), last: endProof(last.position) } };
  }
}
