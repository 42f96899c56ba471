import { timingSafeEqual } from 'node:crypto';
import {
  AuthorizationResponseError,
  ClientError,
  ClientSecretBasic,
  None,
  ResponseBodyError,
  allowInsecureRequests,
  authorizationCodeGrant,
  buildAuthorizationUrl,
  calculatePKCECodeChallenge,
  discovery,
  fetchUserInfo,
  randomNonce,
  randomPKCECodeVerifier,
  randomState,
} from 'openid-client';
import type { Configuration, IDToken, UserInfoResponse } from 'openid-client';
import type { OidcProviderConfig } from './config.js';

// OpenID Connect single sign-on, authorization code flow with PKCE (RFC 7636) and a nonce
// (OIDC Core 1.0 §3.1). RAIA is the relying party; the caller keeps the pending values
// (state, verifier, nonce) between begin() and complete(), e.g. in a short-lived signed cookie.

export type OidcProvider = Omit<OidcProviderConfig, 'scopes'> & { scopes?: string[] };

export type OidcPendingSignIn = { state: string; codeVerifier: string; nonce: string };

export type OidcAuthorizationRequest = OidcPendingSignIn & { authorizationUrl: string };

export type OidcIdentity = {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
};

export type OidcSignInErrorCode =
  | 'unknown_provider'
  | 'provider_unavailable'
  | 'invalid_callback'
  | 'state_mismatch'
  | 'provider_error'
  | 'token_exchange_failed'
  | 'token_invalid';

/** A refused sign-in. `message` is safe to show to the user; `cause` (for logs only) keeps the underlying error. */
export class OidcSignInError extends Error {
  constructor(
    public readonly code: OidcSignInErrorCode,
    message: string,
    /** The OAuth error code the provider answered with (`access_denied`, `invalid_grant`…), when it gave one. */
    public readonly providerError: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'OidcSignInError';
  }
}

export type OidcSignIn = {
  providers(): { id: string; label: string }[];
  begin(providerId: string): Promise<OidcAuthorizationRequest>;
  complete(providerId: string, callbackUrl: URL | string, pending: OidcPendingSignIn): Promise<OidcIdentity>;
};

export type OidcSignInOptions = {
  /** Lets discovery, token and userinfo requests of a plain-http issuer use http (the configuration accepts those only on loopback). */
  allowInsecureRequests?: boolean;
};

const defaultScopes = ['openid', 'email', 'profile'];

// Registered OAuth error codes are short snake_case words (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6);
// anything else a provider (or a forged callback) sends is not echoed to a user.
const oauthErrorCode = /^[a-z0-9_.-]{1,64}$/i;

// openid-client (oauth4webapi) codes for a response that arrived but failed validation:
// bad signature, wrong nonce/audience/issuer, expired token, unknown key, malformed body.
const tokenValidationCodes = new Set([
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_JWT_CLAIM_COMPARISON_FAILED',
  'OAUTH_JWT_TIMESTAMP_CHECK_FAILED',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_KEY_SELECTION_FAILED',
  'OAUTH_PARSE_ERROR',
]);

export function createOidcSignIn(providers: readonly OidcProvider[], options: OidcSignInOptions = {}): OidcSignIn {
  const byId = new Map(providers.map((p) => [p.id, p]));
  const configurations = new Map<string, Promise<Configuration>>();

  function providerFor(providerId: string): OidcProvider {
    const provider = byId.get(providerId);
    if (!provider) throw new OidcSignInError('unknown_provider', 'This sign-in provider is not configured.');
    return provider;
  }

  // Discovery once per provider; a failed attempt is forgotten so the next sign-in retries it.
  function configurationFor(provider: OidcProvider): Promise<Configuration> {
    const cached = configurations.get(provider.id);
    if (cached) return cached;
    // client_secret_basic is the OIDC default token endpoint auth method (OIDC Registration §2),
    // so every provider supports it; a client without a secret is a public client relying on PKCE.
    const clientAuth = provider.clientSecret === undefined ? None() : ClientSecretBasic(provider.clientSecret);
    const discovered = discovery(new URL(provider.issuer), provider.clientId, undefined, clientAuth, {
      // Only for a plain-http issuer: an https provider never has its own endpoints downgraded.
      execute: options.allowInsecureRequests && new URL(provider.issuer).protocol === 'http:' ? [allowInsecureRequests] : [],
    }).catch((cause: unknown) => {
      configurations.delete(provider.id);
      throw new OidcSignInError('provider_unavailable', `Could not reach the sign-in provider ${labelOf(provider)}. Try again later.`, null, { cause });
    });
    configurations.set(provider.id, discovered);
    return discovered;
  }

  return {
    providers: () => providers.map((p) => ({ id: p.id, label: labelOf(p) })),

    async begin(providerId) {
      const provider = providerFor(providerId);
      const configuration = await configurationFor(provider);
      const state = randomState();
      const codeVerifier = randomPKCECodeVerifier();
      const nonce = randomNonce();
      const authorizationUrl = buildAuthorizationUrl(configuration, {
        redirect_uri: provider.redirectUri,
        response_type: 'code',
        scope: (provider.scopes ?? defaultScopes).join(' '),
        state,
        nonce,
        code_challenge: await calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      });
      return { authorizationUrl: authorizationUrl.href, state, codeVerifier, nonce };
    },

    async complete(providerId, callbackUrl, pending) {
      const provider = providerFor(providerId);
      const parameters = callbackParameters(callbackUrl);
      // Checked here before anything else so a forged callback never reaches the token endpoint,
      // and so a mismatch has its own code (openid-client reports it as a generic invalid response).
      if (!sameSecret(parameters.get('state'), pending.state)) {
        throw new OidcSignInError('state_mismatch', 'This sign-in attempt has expired or was not started here. Please start again.');
      }
      const configuration = await configurationFor(provider);
      // The redirect_uri sent to the token endpoint must equal the one in the authorization request;
      // behind a proxy the URL the server saw can differ, so rebuild it from the configured one.
      const responseUrl = new URL(provider.redirectUri);
      responseUrl.search = parameters.toString();
      try {
        const tokens = await authorizationCodeGrant(configuration, responseUrl, {
          expectedState: pending.state,
          expectedNonce: pending.nonce,
          pkceCodeVerifier: pending.codeVerifier,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new OidcSignInError('token_invalid', 'The sign-in provider returned no identity token.');
        // Providers conforming to OIDC Core §5.4 put scope-requested claims (email, name) only in
        // the userinfo response, not in the ID token: ask for them there when the token lacks them.
        const needsUserInfo = (idClaims.email === undefined || idClaims.name === undefined) && configuration.serverMetadata().userinfo_endpoint !== undefined;
        const userInfo = needsUserInfo ? await fetchUserInfo(configuration, tokens.access_token, idClaims.sub) : null;
        return identityFrom(idClaims, userInfo);
      } catch (error) {
        throw asSignInError(error, provider);
      }
    },
  };
}

function labelOf(provider: OidcProvider): string {
  return provider.label ?? provider.id;
}

function callbackParameters(callbackUrl: URL | string): URLSearchParams {
  try {
    return new URL(callbackUrl).searchParams;
  } catch (cause) {
    throw new OidcSignInError('invalid_callback', 'The sign-in response could not be read. Please start again.', null, { cause });
  }
}

function sameSecret(received: string | null, expected: string): boolean {
  if (received === null) return false;
  const a = Buffer.from(received);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function identityFrom(idClaims: IDToken, userInfo: UserInfoResponse | null): OidcIdentity {
  // email and email_verified are taken from the same document, so a verification flag never
  // vouches for an address it was not issued with.
  const emailSource = typeof idClaims.email === 'string' ? idClaims : userInfo;
  const email = typeof emailSource?.email === 'string' ? emailSource.email : null;
  // Some providers (Cognito, older Azure AD) send the flag as the string "true".
  const verified = emailSource?.email_verified;
  const name = typeof idClaims.name === 'string' ? idClaims.name : typeof userInfo?.name === 'string' ? userInfo.name : null;
  return {
    issuer: idClaims.iss,
    subject: idClaims.sub,
    email,
    emailVerified: email !== null && (verified === true || verified === 'true'),
    name,
  };
}

function asSignInError(error: unknown, provider: OidcProvider): OidcSignInError {
  if (error instanceof OidcSignInError) return error;
  const label = labelOf(provider);
  if (error instanceof AuthorizationResponseError) {
    const code = oauthErrorCode.test(error.error) ? error.error : 'unknown_error';
    return new OidcSignInError('provider_error', `${label} did not complete the sign-in (${code}).`, code, { cause: error });
  }
  if (error instanceof ResponseBodyError) {
    const code = oauthErrorCode.test(error.error) ? error.error : 'unknown_error';
    return new OidcSignInError('token_exchange_failed', `${label} refused to finish the sign-in (${code}). Please start again.`, code, { cause: error });
  }
  if (error instanceof ClientError && error.code !== undefined && tokenValidationCodes.has(error.code)) {
    return new OidcSignInError('token_invalid', `The identity returned by ${label} could not be verified. Please start again.`, null, { cause: error });
  }
  return new OidcSignInError('provider_unavailable', `Could not complete the sign-in with ${label}. Try again later.`, null, { cause: error });
}
