/**
 * How every judge prompt is laid out, so that identical inputs give byte-identical messages (the
 * judge cache key and the receipt's prompt hash depend on it): a fixed system message, then the
 * task, the exact JSON output shape, and the inputs as pretty-printed JSON with keys in the order
 * the builder lists them.
 */
import type { JudgePrompt } from './judge-verdict.js';

export const JUDGE_SYSTEM_MESSAGE =
  'You are an evaluation judge. Follow the instructions exactly. Answer with one JSON object that matches the requested output format, and nothing else.';

export function buildJudgePrompt(metricId: string, step: string, promptVersion: string, instructions: string, outputFormat: string, input: Record<string, unknown>): JudgePrompt {
  const user = [instructions.trim(), '', `Output format (a JSON object): ${outputFormat.trim()}`, '', 'Input:', JSON.stringify(input, null, 2)].join('\n');
  return {
    metricId,
    step,
    promptVersion,
    messages: [
      { role: 'system', content: JUDGE_SYSTEM_MESSAGE },
      { role: 'user', content: user },
    ],
  };
}
