import { randomBytes } from 'node:crypto';
import { createJwtVerifier, createRequestSigner, createRequestVerifier, issueToken } from '@framewatch/auth';
import type { RequestSigner, RequestVerifier } from '@framewatch/auth';
import type { FramewatchConfig } from '@framewatch/config';
import { ConfigError } from '@framewatch/errors';

/**
 * Signer and verifier for service-to-service calls. A split topology without a shared secret
 * would accept anyone's calls, so a missing `FRAMEWATCH_SERVICE_SECRET` fails start-up.
 */
export function serviceCredentials(config: FramewatchConfig): { signer: RequestSigner; verifier: RequestVerifier } {
  if (!config.serviceSecret) {
    throw new ConfigError('FRAMEWATCH_SERVICE_SECRET is required when components run as separate services');
  }
  return { signer: createRequestSigner({ secret: config.serviceSecret }), verifier: createRequestVerifier({ secret: config.serviceSecret }) };
}

/** How the API checks bearer tokens, and the dev token when one was made. */
export interface ApiAuth {
  authenticate: (token: string) => Promise<{ subject: string; scopes: string[] }>;
  /** Set when no `FRAMEWATCH_JWT_SECRET` was configured: a random secret was made for this run. */
  devToken: string | null;
}

/**
 * The API's token check. Without a configured secret a random one is made and a 12-hour dev
 * token is returned for the app to print once at start-up (never logged).
 *
 * @example
 * const auth = await apiAuth(config);
 * if (auth.devToken) process.stdout.write(`dev token: ${auth.devToken}\n`);
 */
export async function apiAuth(config: FramewatchConfig): Promise<ApiAuth> {
  const secret = config.jwtSecret ?? randomBytes(32).toString('base64url');
  const verifier = createJwtVerifier({ secret, issuer: config.jwtIssuer, audience: config.jwtAudience });
  const devToken = config.jwtSecret
    ? null
    : await issueToken({ secret, issuer: config.jwtIssuer, audience: config.jwtAudience, subject: 'dev', ttlSec: 12 * 3600 });
  return { authenticate: (token) => verifier.verify(token), devToken };
}
