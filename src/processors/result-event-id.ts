import { v5 as uuidv5 } from 'uuid';

/**
 * Namespace of RAIA's name-based event ids. A random v4 UUID generated once for RAIA; it must never
 * change, or redelivered causes would get fresh result ids and their results would be appended twice.
 */
export const RAIA_RESULT_NAMESPACE = '71054dff-e55d-4b0a-a217-cdcb2d85da17';

/**
 * The id of the event a processor appends in reaction to `causationId` (ARCHITECTURE.md, "Processors
 * and scale-out"): UUID v5 (RFC 9562 §5.5) of `<causationId>:<processorName>`, so every redelivery
 * of the cause yields the same id and the ledger's idempotent append stores the result once.
 */
export function resultEventId(causationId: string, processorName: string): string {
  return uuidv5(`${causationId}:${processorName}`, RAIA_RESULT_NAMESPACE);
}
