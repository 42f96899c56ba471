import type { Passage } from '../llm/llm-provider.js';

export type PassageQuery = { text: string; k: number; filter?: Record<string, string> };

/**
 * The port chat retrieves through: the documents capability's hybrid search fits it. Until that
 * is wired, the runtime passes `noPassages`, and every answer says no passages were retrieved.
 */
export type PassageRetriever = (query: PassageQuery) => Promise<Passage[]>;

export const noPassages: PassageRetriever = async () => [];
