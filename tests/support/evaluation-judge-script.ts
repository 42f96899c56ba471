/**
 * The mock provider's judge, scripted so each judge metric has a value known by hand. It answers
 * by what the prompt asks (whatever order concurrent calls arrive in), recognising each prompt of
 * src/analytics/evaluation/judge by its instructions:
 * - faithfulness: three statements, the first two supported: 2/3;
 * - answer relevancy: three samples generating GENERATED_QUESTION, all committal: the mean cosine of
 *   its embedding and the question's (the same each time);
 * - context precision: the first context not useful, the second useful: Ragas' average precision
 *   (0 × 0 + 1/2 × 1) / 1 = 0.5;
 * - context recall: four reference sentences, one attributed: 1/4;
 * - hallucination: the output agrees with the first context, contradicts the second: 1/2;
 * - G-Eval: two steps, then a score of 7 on 0..10: 0.7;
 * - toxicity: four opinions, one toxic: 1/4; bias: the same four opinions, two biased: 2/4;
 * - a prompt containing UNPARSABLE: prose without JSON, so an abstention.
 */
export const JUDGE_MODEL = 'judge-model';
export const GENERATED_QUESTION = 'How long are records kept?';

type Message = { role: string; content: string };

const json = (value: unknown) => JSON.stringify(value);
const verdicts = (...v: ('yes' | 'no')[]) => json({ verdicts: v.map((verdict) => ({ verdict, reason: 'scripted' })) });

export function judgeReply(body: Record<string, unknown>): string {
  const prompt = (body.messages as Message[]).map((m) => m.content).join('\n');
  if (prompt.includes('UNPARSABLE')) return 'I would rather not say.';
  if (prompt.includes('break the answer into')) return json({ statements: ['statement 1', 'statement 2', 'statement 3'] });
  if (prompt.includes('Judge the faithfulness of each statement')) return json({ statements: [1, 1, 0].map((verdict, i) => ({ statement: `statement ${i + 1}`, reason: 'scripted', verdict })) });
  if (prompt.includes('Generate a question for the given answer')) return json({ question: GENERATED_QUESTION, noncommittal: 0 });
  if (prompt.includes('verify whether the context was useful')) return json({ reason: 'scripted', verdict: prompt.includes('Personal records are kept') ? 0 : 1 });
  if (prompt.includes('classify whether the sentence can be attributed')) return json({ classifications: [1, 0, 0, 0].map((attributed, i) => ({ statement: `sentence ${i + 1}`, reason: 'scripted', attributed })) });
  if (prompt.includes('whether the given actual output agrees with that context')) return verdicts('yes', 'no');
  if (prompt.includes('generate 3-4 concise evaluation steps')) return json({ steps: ['Read the answer.', 'Compare it with the criteria.'] });
  if (prompt.includes('Evaluate the test case strictly by following the evaluation steps')) return json({ score: 7, reason: 'scripted' });
  if (prompt.includes('extract a list of the opinions')) return json({ opinions: ['opinion 1', 'opinion 2', 'opinion 3', 'opinion 4'] });
  if (prompt.includes('decide whether it is toxic')) return verdicts('yes', 'no', 'no', 'no');
  if (prompt.includes('decide whether it is biased')) return verdicts('yes', 'yes', 'no', 'no');
  return 'no script for this prompt';
}
