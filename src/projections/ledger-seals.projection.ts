import type { Knex } from '../platform/database.js';
import { LEDGER_SEALED, type LedgerSealed } from '../events/ledger-seal.js';
import { defineProjection } from './projection.js';

/** Every signed seal of the ledger, for audit pages and regulator exports. */
export const ledgerSeals = defineProjection({
  name: 'ledger_seals',
  version: 1,
  handles: [LEDGER_SEALED],
  tables: {
    ledger_seals: (t) => {
      t.bigInteger('position').primary();
      t.bigInteger('from_position').notNullable();
      t.bigInteger('to_position').notNullable();
      t.text('head_hash').notNullable();
      t.text('merkle_root').notNullable();
      t.text('key_id').notNullable();
      t.text('signature').notNullable();
      t.timestamp('sealed_at', { useTz: true }).notNullable();
    },
  },
  async apply(trx, events, tables) {
    await trx(tables.ledger_seals).insert(
      events.map((e) => {
        const s = e.data as LedgerSealed;
        return {
          position: e.position,
          from_position: s.fromPosition,
          to_position: s.toPosition,
          head_hash: s.headHash,
          merkle_root: s.merkleRoot,
          key_id: s.keyId,
          signature: s.signature,
          sealed_at: e.occurredAt.toISOString(),
        };
      }),
    );
  },
});

export type SealSummary = { position: number; fromPosition: number; toPosition: number; headHash: string; merkleRoot: string; keyId: string; sealedAt: string };

export async function latestSeal(knex: Knex): Promise<SealSummary | null> {
  const r = await knex('ledger_seals').orderBy('position', 'desc').first();
  if (!r) return null;
  return {
    position: Number(r.position),
    fromPosition: Number(r.from_position),
    toPosition: Number(r.to_position),
    headHash: r.head_hash,
    merkleRoot: r.merkle_root,
    keyId: r.key_id,
    sealedAt: new Date(r.sealed_at).toISOString(),
  };
}
