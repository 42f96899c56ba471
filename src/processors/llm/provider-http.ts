import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, fetch, type Response } from 'undici';
import { ProviderError } from './llm-provider.js';
import type { OutboundAddressPolicy } from '../../platform/outbound-address-policy.js';

/** One policy for every provider call: per-attempt time limit, retries with backoff, address checks. */
export type ProviderHttpPolicy = {
  timeoutMs: number;
  maxRetries: number;
  /** First backoff; doubles per retry, with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"). */
  backoffMs: number;
  /** A retry-after longer than this is not waited for: the call fails as rate-limited at once. */
  maxWaitMs: number;
};

const RETRIED_STATUSES = new Set([429, 500, 502, 503, 504, 529]);

/** Where a request goes, without query string or credentials (which may hold a key). */
export const endpointName = (url: URL) => `${url.origin}${url.pathname}`;

/** Seconds or an HTTP date (RFC 9110 §10.2.3), as milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | null {
  if (!header) return null;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

export type ProviderHttp = {
  /**
   * Sends a request and returns the response once its status is final (2xx, or a non-retried
   * error, which is thrown as a ProviderError with the provider's message). `onResponse` reads the
   * body within the same attempt, so a slow body counts against the attempt's time limit; a
   * stream passes `stream: true` and reads the body itself, each chunk within `timeoutMs` of the last.
   */
  send<T>(url: URL, init: { method: 'POST' | 'GET'; headers: Record<string, string>; body?: string; signal?: AbortSignal; timeoutMs?: number }, onResponse: (response: Response, idle: IdleTimer) => Promise<T>): Promise<T>;
  close(): Promise<void>;
};

/** Restarts a time limit at each chunk of a stream, aborting the attempt when it runs out. */
export type IdleTimer = { touch(): void };

export function createProviderHttp(policy: ProviderHttpPolicy, guard: OutboundAddressPolicy): ProviderHttp {
  // Every connection resolves through the guard, so a name re-pointed at a private address is refused when connecting.
  const agent = new Agent({ connect: { lookup: guard.lookup }, keepAliveTimeout: 10_000 });

  async function send<T>(url: URL, init: { method: 'POST' | 'GET'; headers: Record<string, string>; body?: string; signal?: AbortSignal; timeoutMs?: number }, onResponse: (response: Response, idle: IdleTimer) => Promise<T>): Promise<T> {
    const name = endpointName(url);
    // An address literal never reaches the resolver hook, so it is checked here.
    const literal = await guard.hostRefusal(url.hostname);
    if (literal) throw new ProviderError('refused-address', `refused base URL: ${literal}`);
    const timeoutMs = init.timeoutMs ?? policy.timeoutMs;
    let lastError: ProviderError | null = null;
    for (let attempt = 1; attempt <= policy.maxRetries + 1; attempt++) {
      if (init.signal?.aborted) throw new ProviderError('cancelled', `call to ${name} cancelled`, null, attempt - 1);
      const controller = new AbortController();
      let timedOut = false;
      let timer = setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs);
      const idle: IdleTimer = {
        touch() {
          clearTimeout(timer);
          timer = setTimeout(() => ((timedOut = true), controller.abort()), timeoutMs);
        },
      };
      const cancel = () => controller.abort();
      init.signal?.addEventListener('abort', cancel, { once: true });
      let wait: number | null = null;
      try {
        const response = await fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: controller.signal, dispatcher: agent });
        if (response.ok) return await onResponse(response, idle);
        const text = await response.text().catch(() => '');
        const message = `${name} answered ${response.status}: ${providerMessage(text)}`;
        if (!RETRIED_STATUSES.has(response.status)) throw new ProviderError('rejected-request', message, response.status, attempt);
        lastError = new ProviderError(response.status === 429 ? 'rate-limited' : 'upstream-error', message, response.status, attempt);
        wait = retryAfterMs(response.headers.get('retry-after'));
        if (wait !== null && wait > policy.maxWaitMs) throw new ProviderError(lastError.failure, `${message} (retry after ${Math.ceil(wait / 1000)} s)`, response.status, attempt);
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        if (init.signal?.aborted) throw new ProviderError('cancelled', `call to ${name} cancelled`, null, attempt);
        if (timedOut) lastError = new ProviderError('timeout', `${name} did not answer within ${timeoutMs} ms`, null, attempt);
        else if (refusedAddress(error)) throw new ProviderError('refused-address', `refused base URL: ${refusedAddress(error)}`, null, attempt);
        else lastError = new ProviderError('unreachable', `${name} could not be reached: ${causeOf(error)}`, null, attempt);
      } finally {
        clearTimeout(timer);
        init.signal?.removeEventListener('abort', cancel);
      }
      if (attempt <= policy.maxRetries) await sleep(wait ?? Math.random() * policy.backoffMs * 2 ** (attempt - 1), undefined, init.signal ? { signal: init.signal } : {}).catch(() => undefined);
    }
    throw lastError ?? new ProviderError('unreachable', `${name} could not be reached`);
  }

  return { send, close: () => agent.close() };
}

/** The provider's own error text (OpenAI `error.message`, Anthropic `error.message`), or the start of the body. */
function providerMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } | string; message?: unknown };
    const m = typeof parsed.error === 'string' ? parsed.error : parsed.error?.message ?? parsed.message;
    if (typeof m === 'string') return m.slice(0, 500);
  } catch {
    // not JSON: quote the text
  }
  return body.slice(0, 200) || '(empty body)';
}

function causeOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message ?? String(error);
}

function refusedAddress(error: unknown): string | null {
  let e: unknown = error;
  for (let i = 0; i < 4 && e; i++) {
    const { code, message } = e as { code?: string; message?: string };
    if (code === 'ERAIA_REFUSED_ADDRESS') return (message ?? '').replace(/^refused address: /, '');
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}
