import { AuthError } from '@framewatch/errors';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import { assertStrongSecret } from './secret';

/** Who a verified token speaks for. */
export interface Principal {
  /** The token's `sub` claim. */
  subject: string;
  /** The token's `scope` claim split on spaces (OAuth 2.0 style); empty when absent. */
  scopes: string[];
}

/** Checks bearer tokens; created once at start-up by {@link createJwtVerifier}. */
export interface JwtVerifier {
  /**
   * Resolves with the token's principal.
   *
   * @throws AuthError (`UNAUTHENTICATED`) for any token that is not a valid HS256 JWT of this
   *   issuer and audience, within its validity period. `detail.reason` is one of
   *   {@link AuthFailure}; the message is stable and never contains the token.
   */
  verify(token: string): Promise<Principal>;
}

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  /** Shared HS256 secret, at least 32 bytes. */
  secret: string;
  /** Required `iss` claim. */
  issuer: string;
  /** Required `aud` claim (one of the token's audiences). */
  audience: string;
  /** Clock skew allowed on `exp` and `nbf`, in seconds; 5 by default. */
  clockToleranceSec?: number;
}

/** Options of {@link issueToken}. */
export interface IssueTokenOptions {
  /** Shared HS256 secret, at least 32 bytes. */
  secret: string;
  issuer: string;
  audience: string;
  subject: string;
  /** Written as one space-separated `scope` claim. */
  scopes?: string[];
  /** Lifetime in seconds from now. */
  ttlSec: number;
}

/**
 * Why a token was refused, in `AuthError.detail.reason`: stable values that logs and tests can
 * match on while the HTTP response stays one generic 401.
 */
export const AuthFailure = {
  missing: 'missing',
  malformed: 'malformed',
  algorithm: 'algorithm',
  signature: 'signature',
  expired: 'expired',
  notYetValid: 'not_yet_valid',
  issuer: 'issuer',
  audience: 'audience',
  claims: 'claims',
} as const;

/** One of the {@link AuthFailure} values. */
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

// Pinned: a token cannot choose its own algorithm (no `none`, no RS/HS confusion).
const ALGORITHMS = ['HS256'];
const DEFAULT_CLOCK_TOLERANCE_SEC = 5;

const messages: Record<AuthFailure, string> = {
  missing: 'missing token',
  malformed: 'malformed token',
  algorithm: 'token algorithm not allowed',
  signature: 'token signature invalid',
  expired: 'token expired',
  not_yet_valid: 'token not yet valid',
  issuer: 'token issuer not accepted',
  audience: 'token audience not accepted',
  claims: 'token claims invalid',
};

function authFailure(reason: AuthFailure, cause?: unknown): AuthError {
  // The cause is kept for logs only (errors never send causes over the wire), and jose's own
  // messages hold claim names, not the token itself.
  return new AuthError(messages[reason], { cause, detail: { reason } });
}

function classify(err: unknown): AuthFailure {
  if (err instanceof joseErrors.JWTExpired) return AuthFailure.expired;
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return AuthFailure.notYetValid;
    if (err.claim === 'iss') return AuthFailure.issuer;
    if (err.claim === 'aud') return AuthFailure.audience;
    return AuthFailure.claims;
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed || err instanceof joseErrors.JOSENotSupported) {
    return AuthFailure.algorithm;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return AuthFailure.signature;
  return AuthFailure.malformed;
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}

/**
 * Creates the verifier of the API's bearer tokens: HS256 only, issuer and audience required,
 * `exp` required, `nbf` honoured, a small clock tolerance.
 *
 * @throws ConfigError (`CONFIG_INVALID`) when the secret is shorter than 32 bytes.
 * @example
 * const verifier = createJwtVerifier({ secret: config.jwtSecret, issuer: 'framewatch', audience: 'framewatch-api' });
 * const principal = await verifier.verify(bearerToken(req.headers.authorization));
 * if (!principal.scopes.includes('analyses:write')) throw new FramewatchError('FORBIDDEN', '…');
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  assertStrongSecret(options.secret, 'JWT secret');
  const key = keyOf(options.secret);
  const { issuer, audience } = options;
  const clockTolerance = options.clockToleranceSec ?? DEFAULT_CLOCK_TOLERANCE_SEC;

  return {
    async verify(token: string): Promise<Principal> {
      if (typeof token !== 'string' || token.length === 0) throw authFailure(AuthFailure.missing);
      let payload: Awaited<ReturnType<typeof jwtVerify>>['payload'];
      try {
        ({ payload } = await jwtVerify(token, key, {
          algorithms: ALGORITHMS,
          issuer,
          audience,
          clockTolerance,
          // A token without an expiry would be valid forever once leaked.
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        throw authFailure(classify(err), err);
      }
      const { sub, scope } = payload;
      if (typeof sub !== 'string' || sub.length === 0) throw authFailure(AuthFailure.claims);
      if (scope !== undefined && typeof scope !== 'string') throw authFailure(AuthFailure.claims);
      return { subject: sub, scopes: scope === undefined ? [] : scope.split(' ').filter((s) => s.length > 0) };
    },
  };
}

/**
 * Issues an HS256 token that {@link createJwtVerifier} accepts with the same secret, issuer and
 * audience. Meant for development tokens printed at start-up and for tests; production callers
 * get tokens from their identity provider.
 *
 * @throws ConfigError (`CONFIG_INVALID`) when the secret is shorter than 32 bytes.
 * @example
 * const token = await issueToken({ secret, issuer: 'framewatch', audience: 'framewatch-api', subject: 'dev', scopes: ['analyses:write'], ttlSec: 3600 });
 * log.info(`dev token: ${token}`);
 */
export async function issueToken(options: IssueTokenOptions): Promise<string> {
  assertStrongSecret(options.secret, 'JWT secret');
  const jwt = new SignJWT(options.scopes && options.scopes.length > 0 ? { scope: options.scopes.join(' ') } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(options.issuer)
    .setAudience(options.audience)
    .setSubject(options.subject)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + options.ttlSec);
  return jwt.sign(keyOf(options.secret));
}

// RFC 6750 §2.1: the scheme is case-insensitive; the credential is a token68.
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

/**
 * Extracts the token of an `Authorization: Bearer <token>` header.
 *
 * @throws AuthError (`UNAUTHENTICATED`, `detail.reason` `missing` or `malformed`) when the header
 *   is absent, uses another scheme, or holds no well-formed token.
 * @example
 * const principal = await verifier.verify(bearerToken(req.get('authorization')));
 */
export function bearerToken(authorizationHeader: string | undefined): string {
  if (authorizationHeader === undefined || authorizationHeader.trim() === '') {
    throw new AuthError('missing bearer token', { detail: { reason: AuthFailure.missing } });
  }
  const match = BEARER.exec(authorizationHeader);
  if (!match) {
    throw new AuthError('authorization header is not a bearer token', { detail: { reason: AuthFailure.malformed } });
  }
  return match[1];
}
