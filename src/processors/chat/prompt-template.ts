import type { Passage } from '../llm/llm-provider.js';

/** The placeholders a template may use; {{question}} is required. */
export const PROMPT_PLACEHOLDERS = ['question', 'passages', 'history'] as const;

export const DEFAULT_PROMPT_TEMPLATE = `Answer the question using only the numbered passages below. Cite each passage you use by its number in brackets, e.g. [1]. If the passages do not contain the answer, say so.

Passages:
{{passages}}

Conversation so far:
{{history}}

Question: {{question}}`;

/** Told to every language model, whatever the template. */
export const SYSTEM_PROMPT = 'You are the assistant of a governance platform. Answer from the passages you are given and cite them by number.';

const PLACEHOLDER = /\{\{\s*([A-Za-z_]+)\s*\}\}/g;

/** What is wrong with a template (unknown placeholders, no {{question}}); empty when it is usable. */
export function promptTemplateProblems(template: string): string[] {
  const used = [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  const problems = [...new Set(used.filter((p) => !(PROMPT_PLACEHOLDERS as readonly string[]).includes(p)))].map((p) => `unknown placeholder {{${p}}} (known: ${PROMPT_PLACEHOLDERS.map((k) => `{{${k}}}`).join(', ')})`);
  if (!used.includes('question')) problems.push('must contain {{question}}');
  return problems;
}

export const formatPassages = (passages: readonly Passage[]) =>
  passages.length === 0 ? '(no passages were retrieved)' : passages.map((p, i) => `[${i + 1}] (document ${p.documentId}, chunk ${p.chunkId}, score ${p.score.toFixed(3)})\n${p.text}`).join('\n\n');

export const formatHistory = (turns: readonly { question: string; answer: string }[]) =>
  turns.length === 0 ? '(none)' : turns.map((t) => `User: ${t.question}\nAssistant: ${t.answer}`).join('\n');

/** Fills the placeholders in one pass, so text inside a value (a question containing "{{passages}}") is never expanded. */
export function renderPrompt(template: string, values: { question: string; passages: readonly Passage[]; history: readonly { question: string; answer: string }[] }): string {
  const filled: Record<string, string> = { question: values.question, passages: formatPassages(values.passages), history: formatHistory(values.history) };
  return template.replace(PLACEHOLDER, (whole, name: string) => filled[name] ?? whole);
}
