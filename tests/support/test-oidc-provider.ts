import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { Configuration as ProviderConfiguration } from 'oidc-provider';

// A real OpenID provider (panva's oidc-provider) on loopback, signed in to through its
// development login and consent pages, driven with fetch as a browser would.

export const confidentialSecret = 'confidential-client-secret-for-tests-0123456789';

export const providerAccounts: Record<string, { email: string; email_verified: boolean; name: string }> = {
  ada: { email: 'ada@example.org', email_verified: true, name: 'Ada Lovelace' },
  bob: { email: 'bob@example.org', email_verified: false, name: 'Bob Unverified' },
};

export type TestOidcProvider = {
  issuer: string;
  /** Requests seen, by path (discovery, userinfo…). */
  requests: Map<string, number>;
  close(): Promise<void>;
};

export async function listenOnLoopback(handle?: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const listening = handle ? createServer(handle) : createServer();
  await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
  return listening;
}

/** Clients `raia-confidential` (client_secret_basic) and `raia-public` (none), both PKCE-only, redirecting to `redirectUris`. */
export async function startTestOidcProvider(redirectUris: string[]): Promise<TestOidcProvider> {
  // The issuer URL must name the port, which is known only once listening: the provider is
  // attached to the server afterwards.
  const server = await listenOnLoopback();
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const configuration: ProviderConfiguration = {
    clients: [
      {
        client_id: 'raia-confidential',
        client_secret: confidentialSecret,
        token_endpoint_auth_method: 'client_secret_basic',
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
      {
        client_id: 'raia-public',
        token_endpoint_auth_method: 'none',
        redirect_uris: redirectUris,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    // Refuse any authorization request without a code challenge, confidential clients included.
    pkce: { required: () => true },
    features: { devInteractions: { enabled: true } },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    cookies: { keys: ['oidc-sign-in-test-cookie-key'] },
    // Explicit lifetimes, so the provider does not log a notice for each default it falls back to.
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    async findAccount(_ctx, sub) {
      const account = providerAccounts[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account }) };
    },
  };
  const provider = new Provider(issuer, configuration);
  const requests = new Map<string, number>();
  server.on('request', (req: IncomingMessage) => {
    const path = (req.url ?? '').split('?')[0]!;
    requests.set(path, (requests.get(path) ?? 0) + 1);
  });
  server.on('request', provider.callback());
  return {
    issuer,
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

/** Cookies by name and path, sent to the paths they were set for, as a browser keeps them. */
export class CookieJar {
  private readonly cookies = new Map<string, { name: string; value: string; path: string }>();

  store(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const separator = pair.indexOf('=');
      const name = pair.slice(0, separator);
      const value = pair.slice(separator + 1);
      let path = '/';
      let expired = value === '';
      for (const attribute of attributes) {
        const [key = '', attributeValue = ''] = attribute.split('=');
        if (key.toLowerCase() === 'path') path = attributeValue;
        if (key.toLowerCase() === 'expires' && Date.parse(attributeValue) <= Date.now()) expired = true;
        if (key.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value, path });
    }
  }

  headerFor(url: URL): string {
    return [...this.cookies.values()]
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }
}

/** The form on an oidc-provider dev interaction page (its action and hidden fields) and its Cancel link. */
function readInteractionPage(html: string, pageUrl: URL): { action: URL; fields: URLSearchParams; cancel: URL } {
  const form = /<form[^>]*action="([^"]+)"[^>]*method="post"[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form?.[1] || form[2] === undefined) throw new Error(`no form on ${pageUrl.pathname}`);
  const fields = new URLSearchParams();
  for (const input of form[2].matchAll(/<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"/gi)) {
    fields.append(input[1] ?? '', input[2] ?? '');
  }
  const cancel = /<a href="([^"]+)">\[ Cancel \]<\/a>/.exec(html)?.[1];
  if (!cancel) throw new Error(`no Cancel link on ${pageUrl.pathname}`);
  const resolve = (href: string) => new URL(href.replaceAll('&amp;', '&'), pageUrl);
  return { action: resolve(form[1]), fields, cancel: resolve(cancel) };
}

/**
 * Follows the authorization URL through the provider's login and consent pages, submitting them
 * as `login`, and returns the URL the provider finally redirects the browser to (not followed).
 * With `abortAtLogin` the user follows the login page's Cancel link instead.
 */
export async function signInAtProvider(authorizationUrl: string, login: string, redirectUri: string, options: { abortAtLogin?: boolean } = {}): Promise<URL> {
  const jar = new CookieJar();
  let url = new URL(authorizationUrl);
  let request: { method: 'GET' | 'POST'; body?: URLSearchParams } = { method: 'GET' };
  for (let hop = 0; hop < 15; hop += 1) {
    const headers: Record<string, string> = { cookie: jar.headerFor(url) };
    if (request.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method: request.method, body: request.body, headers, redirect: 'manual' });
    jar.store(response);
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url);
      if (`${next.origin}${next.pathname}` === redirectUri) return next;
      url = next;
      request = { method: 'GET' };
      continue;
    }
    const html = await response.text();
    if (response.status !== 200) throw new Error(`provider answered ${response.status} at ${url.pathname}: ${html.slice(0, 500)}`);
    const { action, fields, cancel } = readInteractionPage(html, url);
    if (fields.get('prompt') === 'login') {
      if (options.abortAtLogin) {
        url = cancel;
        request = { method: 'GET' };
        continue;
      }
      fields.set('login', login);
      fields.set('password', 'any password: dev interactions accept any');
    }
    url = action;
    request = { method: 'POST', body: fields };
  }
  throw new Error('the provider never redirected back to the client');
}

