import { anthropicMessagesClient } from './anthropic-messages-client.js';
import { extractiveProvider } from './extractive-provider.js';
import type { ChatProvider } from './llm-provider.js';
import { openAiCompatibleClient } from './openai-compatible-client.js';
import { OutboundAddressPolicy } from '../../platform/outbound-address-policy.js';
import { providerById } from './provider-catalogue.js';
import { createProviderHttp, type ProviderHttp, type ProviderHttpPolicy } from './provider-http.js';

/** Where a configuration sends its calls. */
export type ProviderTarget = { provider: string; baseUrl: string | null };

/**
 * The one HTTP agent (connection pool, address guard, policy) every provider client of the process
 * shares, and the client for a configuration's provider.
 */
export class ProviderConnections {
  readonly guard: OutboundAddressPolicy;
  readonly http: ProviderHttp;

  constructor(options: { allowedAddresses: readonly string[]; policy: ProviderHttpPolicy }) {
    this.guard = new OutboundAddressPolicy(options.allowedAddresses, 'RAIA_LLM_ALLOWED_ADDRESSES');
    this.http = createProviderHttp(options.policy, this.guard);
  }

  /** Why a base URL may not be used, or null: http(s) only, no credentials or query in it, every address public (or allowed). */
  async baseUrlRefusal(baseUrl: string): Promise<string | null> {
    let url: URL;
    try {
      url = new URL(baseUrl);
    } catch {
      return 'is not a URL';
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
    if (url.username || url.password) return 'must not carry credentials; give the key as apiKey';
    if (url.search || url.hash) return 'must not carry a query string or fragment';
    return this.guard.hostRefusal(url.hostname);
  }

  chatProvider(target: ProviderTarget, apiKey: string | null): ChatProvider {
    const described = providerById(target.provider);
    if (!described) throw new Error(`unknown provider ${target.provider}`);
    const baseUrl = target.baseUrl ?? described.defaultBaseUrl ?? '';
    switch (described.wireFormat) {
      case 'extractive':
        return extractiveProvider;
      case 'openai':
        return openAiCompatibleClient(this.http, { baseUrl, apiKey });
      case 'anthropic':
        return anthropicMessagesClient(this.http, { baseUrl, apiKey });
    }
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
