import { readFileSync } from 'node:fs';
import { v5 } from 'uuid';
import { z } from 'zod';
import { controlSchema } from '../../events/catalogue/compliance.events.js';
import { systemActor } from '../../events/envelope.js';
import type { EventCatalogue } from '../../events/event-catalogue.js';
import type { EventStore } from '../../events/event-store.js';
import { handleCommand } from '../command-handler.js';
import { CommandRefused } from '../decider.js';
import { compliancePackDecider, compliancePackStreamId } from './compliance-pack.decider.js';

// Fixed namespace for RAIA's compliance ids: a pack's id depends on its framework and version only.
const PACK_NAMESPACE = '6f3c2a1e-4b8d-5e9f-a0b1-c2d3e4f5a6b7';

/** The same `framework@version` has the same id everywhere, so publication is idempotent across nodes and restarts. */
export const packIdOf = (framework: string, version: string) => v5(`${framework}@${version}`, PACK_NAMESPACE);

const packFileSchema = z.object({ framework: z.string().min(1), version: z.string().min(1), title: z.string().min(1), controls: z.array(controlSchema).min(1) });
export type ShippedPack = z.infer<typeof packFileSchema> & { packId: string };

export const SHIPPED_PACK_FILES = ['eu-ai-act.json', 'nist-ai-rmf.json', 'iso-iec-42001.json'] as const;

/** The packs in src/commands/compliance/packs, validated as any published pack is. */
export function shippedPacks(): ShippedPack[] {
  return SHIPPED_PACK_FILES.map((file) => {
    const pack = packFileSchema.parse(JSON.parse(readFileSync(new URL(`./packs/${file}`, import.meta.url), 'utf8')));
    return { ...pack, packId: packIdOf(pack.framework, pack.version) };
  });
}

/**
 * Publishes each shipped pack that the ledger does not hold yet, as a `compliance.pack-published`
 * event with an id derived from the pack (so a retry, or two nodes starting at once, record it once).
 */
export async function publishShippedPacks(deps: { store: EventStore; catalogue: EventCatalogue }): Promise<string[]> {
  const published: string[] = [];
  for (const pack of shippedPacks()) {
    const streamId = compliancePackStreamId(pack.packId);
    if ((await deps.store.readStream(streamId, { limit: 1 })).length > 0) continue;
    try {
      await handleCommand(deps, compliancePackDecider, streamId, { type: 'PublishPack', ...pack, origin: 'shipped' }, { actor: systemActor('compliance-packs'), eventIds: [v5(`${pack.packId}:published`, PACK_NAMESPACE)] });
      published.push(pack.packId);
    } catch (error) {
      // Another node published it between the read and the append.
      if (!(error instanceof CommandRefused && error.code === 'PACK_EXISTS')) throw error;
    }
  }
  return published;
}
