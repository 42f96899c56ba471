import type { ChatCompletion, ChatProvider, ChatRequest, ChatStreamEvent, Passage } from './llm-provider.js';

/** Every answer of raia-extractive starts with this, so nobody mistakes it for generated text. */
export const EXTRACTIVE_LABEL = '[raia-extractive: not a language model; sentences quoted from the retrieved passages]';
export const EXTRACTIVE_MODEL = 'raia-extractive-1';
const MAX_SENTENCES = 3;

// Words too common to say whether a sentence answers the question.
const STOPWORDS = new Set(
  'a an and are as at be by can do does for from has have how i in is it its me my of on or our that the their this to was we what when where which who why will with you your'.split(' '),
);

const terms = (text: string) => text.toLowerCase().match(/[\p{L}\p{N}]+/gu)?.filter((t) => !STOPWORDS.has(t)) ?? [];

/** Sentences as written (ends at . ! ? or a line break), trimmed. */
const sentences = (text: string) => text.split(/(?<=[.!?])\s+|\n+/u).map((s) => s.trim()).filter((s) => s.length > 0);

/**
 * The offline default provider: no model, no network. It quotes the sentences of the retrieved
 * passages that share the most distinct terms with the question (ties: the passage's retrieval
 * score, then its order, then the sentence's order), at most three, each followed by the number
 * of its passage, `[n]`. Same question and passages, same answer.
 */
export function extractiveAnswer(question: string, passages: readonly Passage[]): string {
  if (passages.length === 0) return `${EXTRACTIVE_LABEL}\nNo passages were retrieved for this question, so there is nothing to answer from.`;
  const wanted = new Set(terms(question));
  const candidates = passages.flatMap((p, passageIndex) =>
    sentences(p.text).map((sentence, sentenceIndex) => {
      const own = new Set(terms(sentence));
      let overlap = 0;
      for (const t of wanted) if (own.has(t)) overlap++;
      return { sentence, overlap, score: p.score, passageIndex, sentenceIndex };
    }),
  );
  const chosen = candidates
    .filter((c) => c.overlap > 0)
    .sort((a, b) => b.overlap - a.overlap || b.score - a.score || a.passageIndex - b.passageIndex || a.sentenceIndex - b.sentenceIndex)
    .slice(0, MAX_SENTENCES)
    // In reading order, so quotes from one passage keep their sequence.
    .sort((a, b) => a.passageIndex - b.passageIndex || a.sentenceIndex - b.sentenceIndex);
  if (chosen.length === 0) return `${EXTRACTIVE_LABEL}\nNone of the ${passages.length} retrieved passages shares a word with the question.`;
  return `${EXTRACTIVE_LABEL}\n${chosen.map((c) => `${c.sentence} [${c.passageIndex + 1}]`).join('\n')}`;
}

function completion(request: ChatRequest): ChatCompletion {
  const question = request.grounding?.question ?? request.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '';
  return { text: extractiveAnswer(question, request.grounding?.passages ?? []), resolvedModel: EXTRACTIVE_MODEL, usage: { inputTokens: 0, outputTokens: 0 }, finishReason: 'stop' };
}

export const extractiveProvider: ChatProvider = {
  complete: async (request) => completion(request),
  async *stream(request): AsyncGenerator<ChatStreamEvent> {
    const answer = completion(request);
    // Line by line, so a client sees the same event sequence as from a language model.
    for (const line of answer.text.split(/(?<=\n)/)) yield { type: 'delta', text: line };
    yield { type: 'done', completion: answer };
  },
};
