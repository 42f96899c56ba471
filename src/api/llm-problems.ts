import { ProviderError } from '../processors/llm/llm-provider.js';
import { ChatSessionNotFound, InvalidLlmInput, LlmApiKeyUnavailable, LlmConfigurationNotFound } from '../processors/llm/llm-errors.js';
import { HttpProblem, invalidFields, notFound } from './problem-details.js';

/**
 * The LLM and chat errors as problem+json: bad input 400 naming the field, an unknown session 404,
 * a missing key 409, and the provider's own failure 502 (504 when it timed out) carrying its kind,
 * its HTTP status and its message; anything else is passed on unchanged.
 */
export function llmProblemOf(error: unknown): unknown {
  if (error instanceof InvalidLlmInput) return invalidFields(error.errors);
  if (error instanceof ChatSessionNotFound) return notFound(`chat session ${error.sessionId}`);
  if (error instanceof LlmConfigurationNotFound) return notFound(`configuration ${error.configurationId}`);
  if (error instanceof LlmApiKeyUnavailable) return new HttpProblem(409, 'llm-api-key-unavailable', 'API key unavailable', error.message);
  if (error instanceof ProviderError) {
    if (error.failure === 'refused-address') return invalidFields([{ field: 'body.baseUrl', message: error.message }]);
    const status = error.failure === 'timeout' ? 504 : 502;
    return new HttpProblem(status, 'llm-provider-error', 'LLM provider error', error.message, { failure: error.failure, upstreamStatus: error.upstreamStatus, attempts: error.attempts } as never);
  }
  return error;
}

/** Runs `work`, answering its LLM errors as problems. */
export async function answeringLlmProblems<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw llmProblemOf(error);
  }
}
