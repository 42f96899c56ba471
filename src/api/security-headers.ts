import type { FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import type { Config } from '../platform/config.js';

/**
 * What API answers may do in a browser: nothing. They are JSON, never a page, so no source is
 * allowed and no page may frame them (OWASP REST Security Cheat Sheet, "Security headers").
 */
const API_CSP = { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] };

/**
 * The Swagger UI at /docs: its own scripts and style sheets (served from /docs/static, no inline
 * script), the OpenAPI document from the same origin, and the logo and icons as data: URIs. Its
 * bundle sets inline styles at run time (headless Chromium reports the violation otherwise), so
 * styles may be inline on this page only; scripts may not. Unlike @fastify/swagger-ui's default
 * it forbids framing and leaves out upgrade-insecure-requests, which would break the page on a
 * plain-http address other than localhost.
 */
export const DOCS_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'unsafe-inline'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** HSTS tells browsers to use https only; it must not be sent by a server reached over plain http. */
export const hstsEnabled = (config: Pick<Config, 'RAIA_HSTS' | 'RAIA_PUBLIC_URL'>) =>
  config.RAIA_HSTS === 'on' || (config.RAIA_HSTS === 'auto' && config.RAIA_PUBLIC_URL.startsWith('https:'));

/**
 * Security headers on every answer (helmet: nosniff, frame denial, a CSP, no referrer, HSTS when
 * configured), and `Cache-Control: no-store` on every answer of an authenticated route or of an
 * identity route (tokens, personal data), unless the route set a Cache-Control of its own.
 */
export async function registerSecurityHeaders(app: FastifyInstance, config: Pick<Config, 'RAIA_HSTS' | 'RAIA_PUBLIC_URL'>): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: hstsEnabled(config) ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const config = request.routeOptions.config as { permission?: string } | undefined;
    const sensitive = Boolean(config?.permission) || (request.routeOptions.url ?? '').startsWith('/api/v1/auth/');
    if (sensitive && !reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    return payload;
  });
}
