/**
 * What every judge metric shares: the messages sent to a judge model and the strict reading of its
 * answer. A judge's text either yields a verdict of the expected shape or an explicit abstention
 * with its reason; it is never read as a zero.
 */
import type { z } from 'zod';

export type JudgeMessage = { role: 'system' | 'user'; content: string };

/** One call to a judge: its messages and the version of the prompt that built them (part of the cache key and the receipt). */
export type JudgePrompt = { metricId: string; step: string; promptVersion: string; messages: JudgeMessage[] };

export type Verdict<T> = { abstained: false; value: T } | { abstained: true; reason: string };

/** A metric score computed from verdicts, or an abstention when a verdict it needs was not given. */
export type JudgeScore = { abstained: false; score: number; details: Record<string, unknown> } | { abstained: true; reason: string };

export const abstain = (reason: string): { abstained: true; reason: string } => ({ abstained: true, reason });

/**
 * The JSON object in a judge's text: the whole text, else the content of the first ``` fence, else
 * the span from the first `{` to its matching `}` (so leading or trailing prose is tolerated).
 */
export function extractJsonObject(text: string): Verdict<unknown> {
  const trimmed = text.trim();
  if (trimmed.length === 0) return abstain('empty judge output');
  const candidates: string[] = [trimmed];
  const fence = /```(?:json|JSON)?\s*\n?([\s\S]*?)```/.exec(trimmed);
  if (fence) candidates.push(fence[1]!.trim());
  const start = trimmed.indexOf('{');
  if (start >= 0) {
    const end = matchingBrace(trimmed, start);
    if (end > start) candidates.push(trimmed.slice(start, end + 1));
  }
  for (const candidate of candidates) {
    try {
      const parsed: unknown = JSON.parse(candidate);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return { abstained: false, value: parsed };
    } catch {
      // try the next candidate
    }
  }
  return abstain('judge output holds no JSON object');
}

/** Index of the `}` closing the `{` at `start`, skipping braces inside JSON strings; -1 when unbalanced. */
function matchingBrace(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** Extracts the JSON object and checks it against `schema`; any mismatch is an abstention naming the first issue. */
export function parseVerdict<S extends z.ZodType>(text: string, schema: S): Verdict<z.infer<S>> {
  const extracted = extractJsonObject(text);
  if (extracted.abstained) return extracted;
  const result = schema.safeParse(extracted.value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return abstain(`judge output does not match the expected schema at ${path}: ${issue.message}`);
  }
  return { abstained: false, value: result.data };
}
