import { AuthError, ConfigError } from '@framewatch/errors';
import { SignJWT } from 'jose';
import { bearerToken, createJwtVerifier, issueToken } from './jwt';

const secret = 'a-test-secret-that-is-32-bytes-long!';
const otherSecret = 'another-secret-that-is-32-bytes-long';
const issuer = 'framewatch';
const audience = 'framewatch-api';
const key = new TextEncoder().encode(secret);
const nowSec = () => Math.floor(Date.now() / 1000);

function b64(json: object): string {
  return Buffer.from(JSON.stringify(json)).toString('base64url');
}

/** Asserts `promise` rejects with an AuthError of `reason` whose message does not echo `token`. */
async function expectRefused(promise: Promise<unknown>, reason: string, token: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AuthError);
  const auth = err as AuthError;
  expect(auth.code).toBe('UNAUTHENTICATED');
  expect(auth.detail).toEqual({ reason });
  if (token.length > 0) expect(auth.message).not.toContain(token);
}

describe('createJwtVerifier', () => {
  const verifier = createJwtVerifier({ secret, issuer, audience });

  it('accepts a token from issueToken and returns its subject and scopes', async () => {
    const token = await issueToken({ secret, issuer, audience, subject: 'user-1', scopes: ['analyses:read', 'analyses:write'], ttlSec: 60 });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'user-1', scopes: ['analyses:read', 'analyses:write'] });
  });

  it('returns no scopes when the token has no scope claim', async () => {
    const token = await issueToken({ secret, issuer, audience, subject: 'user-2', ttlSec: 60 });
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'user-2', scopes: [] });
  });

  it('refuses a missing (empty) token', async () => {
    await expectRefused(verifier.verify(''), 'missing', '');
  });

  it('refuses an expired token beyond the clock tolerance', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience)
      .setSubject('u').setExpirationTime(nowSec() - 60).sign(key);
    await expectRefused(verifier.verify(token), 'expired', token);
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience)
      .setSubject('u').setExpirationTime(nowSec() - 2).sign(key);
    await expect(verifier.verify(token)).resolves.toEqual({ subject: 'u', scopes: [] });
  });

  it('refuses a token that is not yet valid', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience)
      .setSubject('u').setNotBefore(nowSec() + 600).setExpirationTime(nowSec() + 1200).sign(key);
    await expectRefused(verifier.verify(token), 'not_yet_valid', token);
  });

  it('refuses a token for another audience', async () => {
    const token = await issueToken({ secret, issuer, audience: 'someone-else', subject: 'u', ttlSec: 60 });
    await expectRefused(verifier.verify(token), 'audience', token);
  });

  it('refuses a token from another issuer', async () => {
    const token = await issueToken({ secret, issuer: 'evil', audience, subject: 'u', ttlSec: 60 });
    await expectRefused(verifier.verify(token), 'issuer', token);
  });

  it('refuses an unsigned alg:none token', async () => {
    const exp = nowSec() + 60;
    const token = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ iss: issuer, aud: audience, sub: 'admin', exp })}.`;
    await expectRefused(verifier.verify(token), 'algorithm', token);
  });

  it('refuses a token signed with another HMAC algorithm (HS512) even with the right secret', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS512' }).setIssuer(issuer).setAudience(audience)
      .setSubject('u').setExpirationTime(nowSec() + 60).sign(new TextEncoder().encode(secret + secret));
    await expectRefused(verifier.verify(token), 'algorithm', token);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await issueToken({ secret: otherSecret, issuer, audience, subject: 'u', ttlSec: 60 });
    await expectRefused(verifier.verify(token), 'signature', token);
  });

  it('refuses a token whose payload was altered after signing', async () => {
    const token = await issueToken({ secret, issuer, audience, subject: 'user', ttlSec: 60 });
    const [h, , s] = token.split('.');
    const forged = `${h}.${b64({ iss: issuer, aud: audience, sub: 'admin', exp: nowSec() + 60 })}.${s}`;
    await expectRefused(verifier.verify(forged), 'signature', forged);
  });

  it('refuses garbage', async () => {
    await expectRefused(verifier.verify('garbage-not-a-jwt'), 'malformed', 'garbage-not-a-jwt');
    await expectRefused(verifier.verify('a.b.c'), 'malformed', 'a.b.c');
  });

  it('refuses a token without an expiry, which would never lapse', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience)
      .setSubject('u').sign(key);
    await expectRefused(verifier.verify(token), 'claims', token);
  });

  it('refuses a token without a subject', async () => {
    const token = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuer(issuer).setAudience(audience)
      .setExpirationTime(nowSec() + 60).sign(key);
    await expectRefused(verifier.verify(token), 'claims', token);
  });

  it('refuses to start with a secret shorter than 32 bytes', () => {
    expect(() => createJwtVerifier({ secret: 'short', issuer, audience })).toThrow(ConfigError);
    expect(() => createJwtVerifier({ secret: 'short', issuer, audience })).not.toThrow(/short/);
  });
});

describe('bearerToken', () => {
  it('extracts the token of a Bearer header, scheme case-insensitive', () => {
    expect(bearerToken('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(bearerToken('bearer abc.def.ghi')).toBe('abc.def.ghi');
  });

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['a scheme without a token', 'Bearer '],
    ['a token with spaces', 'Bearer abc def'],
  ])('throws AuthError when the header is %s', (_what, header) => {
    expect(() => bearerToken(header)).toThrow(AuthError);
  });
});
