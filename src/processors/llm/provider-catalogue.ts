/** The providers a configuration may name, and how each is reached. */
export type WireFormat = 'openai' | 'anthropic' | 'extractive';

export type ProviderDescription = {
  id: string;
  name: string;
  wireFormat: WireFormat;
  /** Used when a configuration gives none; null: the configuration must give one. */
  defaultBaseUrl: string | null;
  apiKey: 'required' | 'optional' | 'none';
  streaming: boolean;
  embeddings: boolean;
  isLanguageModel: boolean;
  exampleModels: string[];
  notes: string;
};

export const PROVIDERS: readonly ProviderDescription[] = [
  {
    id: 'openai',
    name: 'OpenAI',
    wireFormat: 'openai',
    defaultBaseUrl: 'https://api.openai.com/v1',
    apiKey: 'required',
    streaming: true,
    embeddings: true,
    isLanguageModel: true,
    exampleModels: ['gpt-4o-mini', 'gpt-4.1', 'text-embedding-3-small'],
    notes: 'Chat completions and embeddings at <base>/chat/completions and <base>/embeddings.',
  },
  {
    id: 'openai-compatible',
    name: 'OpenAI-compatible server (Ollama, vLLM, llama.cpp server, Hugging Face TGI / Inference Endpoints)',
    wireFormat: 'openai',
    defaultBaseUrl: null,
    apiKey: 'optional',
    streaming: true,
    embeddings: true,
    isLanguageModel: true,
    exampleModels: ['llama3.1:8b', 'mistralai/Mistral-7B-Instruct-v0.3'],
    notes: 'Base URL ending in /v1 (Ollama: http://<host>:11434/v1). Private and loopback hosts need RAIA_LLM_ALLOWED_ADDRESSES.',
  },
  {
    id: 'anthropic',
    name: 'Anthropic',
    wireFormat: 'anthropic',
    defaultBaseUrl: 'https://api.anthropic.com',
    apiKey: 'required',
    streaming: true,
    embeddings: false,
    isLanguageModel: true,
    exampleModels: ['claude-3-5-haiku-latest', 'claude-sonnet-4-20250514'],
    notes: 'Messages API at <base>/v1/messages, anthropic-version 2023-06-01.',
  },
  {
    id: 'raia-extractive',
    name: 'RAIA extractive (offline, not a language model)',
    wireFormat: 'extractive',
    defaultBaseUrl: null,
    apiKey: 'none',
    streaming: true,
    embeddings: false,
    isLanguageModel: false,
    exampleModels: ['raia-extractive-1'],
    notes: 'Quotes the retrieved sentences that best match the question, with [n] citations; deterministic, no network. Every answer says it is not a language model.',
  },
];

export const providerById = (id: string) => PROVIDERS.find((p) => p.id === id) ?? null;
export const PROVIDER_IDS = PROVIDERS.map((p) => p.id) as [string, ...string[]];
