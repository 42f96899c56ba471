import type { z } from 'zod';
import { ProviderError } from './llm-provider.js';
import { endpointName } from './provider-http.js';

/** A provider's JSON answer checked against the shape we read; anything else is a malformed response, never a crash. */
export function providerJson<T>(schema: z.ZodType<T>, text: string, url: URL): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProviderError('malformed-response', `${endpointName(url)} answered with something that is not JSON: ${text.slice(0, 120)}`);
  }
  const result = schema.safeParse(json);
  if (!result.success) throw new ProviderError('malformed-response', `${endpointName(url)} answered JSON of an unexpected shape: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return result.data;
}
