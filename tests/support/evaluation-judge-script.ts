/**
 * The mock provider's judge, scripted so each judge metric has a value known by hand. It answers
 * by what the prompt asks (whatever order concurrent calls arrive in):
 * - faithfulness, statement extraction: three statements;
 * - faithfulness, verdicts: the first two statements supported, the third not, so 2/3;
 * - a prompt whose question contains UNPARSABLE: prose without JSON, so an abstention.
 */
export const JUDGE_MODEL = 'judge-model';

type Message = { role: string; content: string };

export function judgeReply(body: Record<string, unknown>): string {
  const prompt = (body.messages as Message[]).map((m) => m.content).join('\n');
  if (prompt.includes('UNPARSABLE')) return 'I would rather not say.';
  if (/verdict/i.test(prompt)) {
    return JSON.stringify({ statements: [0, 1, 2].map((i) => ({ statement: `statement ${i + 1}`, reason: 'scripted', verdict: i < 2 ? 1 : 0 })) });
  }
  return JSON.stringify({ statements: ['statement 1', 'statement 2', 'statement 3'] });
}
