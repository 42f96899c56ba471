/** What one evaluated item offers to the offline metrics; each metric reads only the fields it needs. */
export type OfflineItem = {
  /** The answer under evaluation. */
  prediction: string;
  references?: readonly string[];
  /** Ranked ids returned by retrieval, best first. */
  retrievedIds?: readonly string[];
  relevantIds?: readonly string[];
  /** Graded relevance per id (gain of nDCG); ids absent here count 0. When given, nDCG is graded. */
  relevanceGrades?: Readonly<Record<string, number>>;
  retrievedContexts?: readonly string[];
  referenceContexts?: readonly string[];
  predictionEmbedding?: ArrayLike<number>;
  referenceEmbedding?: ArrayLike<number>;
  /** JSON Schema the answer must satisfy, for json_schema_valid. */
  jsonSchema?: object;
  latencyMs?: number;
  inputTokens?: number;
  outputTokens?: number;
};

export type OfflineOptions = {
  /** Cut-off of hit@k, precision@k, recall@k, nDCG@k. Default 5. */
  k?: number;
  /** Prices in currency units per million tokens, for cost_usd. */
  prices?: { inputPerMillion: number; outputPerMillion: number };
  /** Similarity threshold of Ragas' non-LLM context metrics. Default 0.5 (Ragas' default). */
  contextSimilarityThreshold?: number;
};

/** A metric's value for one item, or why it does not apply (a missing input is not a zero). */
export type MetricScore = { value: number } | { value: null; reason: string };
