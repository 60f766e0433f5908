import { AuthError, ConfigError } from '@framewatch/errors';
import { SignatureHeader, createRequestSigner, createRequestVerifier } from './request-signature';

const secret = 'service-secret-of-at-least-32-bytes!';
const body = new TextEncoder().encode('{"hello":"world"}');
const req = { method: 'POST', path: '/rpc/detector/detect?x=1', body };

function refusal(fn: () => void): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AuthError);
    return (err as AuthError).detail['reason'] as string;
  }
  return undefined;
}

describe('request signatures', () => {
  let clock = 1_700_000_000_000;
  const now = () => clock;
  const signer = createRequestSigner({ secret, now });
  const fresh = () => createRequestVerifier({ secret, now });

  beforeEach(() => {
    clock = 1_700_000_000_000;
  });

  it('accepts a freshly signed request', () => {
    const headers = signer.sign(req);
    expect(Object.keys(headers).sort()).toEqual(Object.values(SignatureHeader).sort());
    expect(() => fresh().verify({ ...req, headers })).not.toThrow();
  });

  it('gives every signature a new nonce', () => {
    expect(signer.sign(req)[SignatureHeader.nonce]).not.toBe(signer.sign(req)[SignatureHeader.nonce]);
  });

  it('refuses an unsigned request', () => {
    expect(refusal(() => fresh().verify({ ...req, headers: {} }))).toBe('signature_missing');
  });

  it('refuses a request signed with another secret', () => {
    const headers = createRequestSigner({ secret: 'x'.repeat(32), now }).sign(req);
    expect(refusal(() => fresh().verify({ ...req, headers }))).toBe('signature_mismatch');
  });

  it('refuses a request whose body was tampered with', () => {
    const headers = signer.sign(req);
    const tampered = Uint8Array.from(body);
    tampered[0] ^= 1;
    expect(refusal(() => fresh().verify({ ...req, body: tampered, headers }))).toBe('signature_mismatch');
  });

  it('refuses a request sent to another path or query, or with another method', () => {
    const headers = signer.sign(req);
    expect(refusal(() => fresh().verify({ ...req, path: '/rpc/detector/detect?x=2', headers }))).toBe('signature_mismatch');
    expect(refusal(() => fresh().verify({ ...req, path: '/rpc/aggregator/push?x=1', headers }))).toBe('signature_mismatch');
    expect(refusal(() => fresh().verify({ ...req, method: 'PUT', headers }))).toBe('signature_mismatch');
  });

  it('refuses a request whose timestamp was changed after signing', () => {
    const headers = { ...signer.sign(req), [SignatureHeader.timestamp]: String(clock + 1) };
    expect(refusal(() => fresh().verify({ ...req, headers }))).toBe('signature_mismatch');
  });

  it('refuses a stale request and one from too far in the future', () => {
    const headers = signer.sign(req);
    clock += 30_001;
    expect(refusal(() => fresh().verify({ ...req, headers }))).toBe('timestamp_outside_window');
    clock -= 60_002;
    expect(refusal(() => fresh().verify({ ...req, headers }))).toBe('timestamp_outside_window');
  });

  it('accepts a request at the edge of the window', () => {
    const headers = signer.sign(req);
    clock += 30_000;
    expect(() => fresh().verify({ ...req, headers })).not.toThrow();
  });

  it('refuses a replayed request within the window', () => {
    const verifier = fresh();
    const headers = signer.sign(req);
    verifier.verify({ ...req, headers });
    clock += 10_000;
    expect(refusal(() => verifier.verify({ ...req, headers }))).toBe('nonce_replayed');
  });

  it('still refuses a replay after old nonces were forgotten (by the window check)', () => {
    const verifier = fresh();
    const headers = signer.sign(req);
    verifier.verify({ ...req, headers });
    clock += 61_000;
    verifier.verify({ ...req, headers: signer.sign(req) }); // prunes the first nonce
    expect(refusal(() => verifier.verify({ ...req, headers }))).toBe('timestamp_outside_window');
  });

  it('does not record the nonce of a request with a bad signature', () => {
    const verifier = fresh();
    const headers = signer.sign(req);
    expect(refusal(() => verifier.verify({ ...req, path: '/other', headers }))).toBe('signature_mismatch');
    expect(() => verifier.verify({ ...req, headers })).not.toThrow();
  });

  it('refuses repeated or malformed signature headers', () => {
    const headers = signer.sign(req);
    const twice = { ...headers, [SignatureHeader.nonce]: [headers[SignatureHeader.nonce], 'b'.repeat(22)] };
    expect(refusal(() => fresh().verify({ ...req, headers: twice }))).toBe('signature_malformed');
    const shortSig = { ...headers, [SignatureHeader.signature]: 'abcd' };
    expect(refusal(() => fresh().verify({ ...req, headers: shortSig }))).toBe('signature_malformed');
  });

  it('finds headers whatever their case', () => {
    const headers = Object.fromEntries(Object.entries(signer.sign(req)).map(([k, v]) => [k.toUpperCase(), v]));
    expect(() => fresh().verify({ ...req, headers })).not.toThrow();
  });

  it('refuses to start with a secret shorter than 32 bytes', () => {
    expect(() => createRequestSigner({ secret: 'short' })).toThrow(ConfigError);
    expect(() => createRequestVerifier({ secret: 'short' })).toThrow(ConfigError);
    expect(() => createRequestVerifier({ secret: 'short' })).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID' }));
  });
});
