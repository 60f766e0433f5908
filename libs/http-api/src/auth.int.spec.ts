import { SignJWT } from 'jose';
import { startTestApi, testAuth } from './testing/harness';
import type { TestApi } from './testing/harness';

const key = new TextEncoder().encode(testAuth.secret);
const now = () => Math.floor(Date.now() / 1000);

function jwt(claims: Record<string, unknown>, secret: Uint8Array = key): Promise<string> {
  return new SignJWT({ scope: 'analyses', ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

const base = () => ({ iss: testAuth.issuer, aud: testAuth.audience, sub: 'mallory', iat: now(), exp: now() + 300 });
const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const matrix: [string, () => Promise<string | undefined>][] = [
  ['no Authorization header', async () => undefined],
  ['a non-bearer scheme', async () => `Basic ${Buffer.from('a:b').toString('base64')}`],
  ['an empty bearer token', async () => 'Bearer '],
  ['garbage', async () => 'Bearer not.a.jwt'],
  ['an expired token', async () => `Bearer ${await jwt({ ...base(), iat: now() - 600, exp: now() - 300 })}`],
  ['a token not yet valid', async () => `Bearer ${await jwt({ ...base(), nbf: now() + 300 })}`],
  ['the wrong audience', async () => `Bearer ${await jwt({ ...base(), aud: 'someone-else' })}`],
  ['the wrong issuer', async () => `Bearer ${await jwt({ ...base(), iss: 'https://evil.example' })}`],
  ['alg none', async () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(base())}.`],
  ['a bad signature', async () => `Bearer ${await jwt(base(), new TextEncoder().encode('another-secret-that-is-32-bytes-long!!'))}`],
];

describe('authentication (H5)', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
  });
  afterAll(() => api.close());

  it.each(matrix)('answers 401 UNAUTHENTICATED for %s and never runs the handler', async (_name, header) => {
    const authorization = await header();
    const res = await fetch(`${api.baseUrl}/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization === undefined ? {} : { authorization }) },
      body: JSON.stringify({ source: { url: 'https://media.example.com/a.mp4' } }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await res.json()).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
    expect(api.jobs.createCalls).toBe(0);
    expect(api.validatedUrls).toEqual([]);
    expect(await collect(api.jobs.list())).toEqual([]);
  });

  it('lets a valid token through (the matrix is not failing for another reason)', async () => {
    const res = await fetch(`${api.baseUrl}/v1/analyses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${await jwt(base())}` },
      body: JSON.stringify({ source: { url: 'https://media.example.com/a.mp4' } }),
    });
    expect(res.status).toBe(202);
  });

  it.each(['/v1/analyses', '/v1/analyses/an-x', '/v1/analyses/an-x/report', '/v1/analyses/an-x/events', '/metrics', '/openapi.json', '/nowhere'])(
    'requires a token for GET %s',
    async (path) => {
      const res = await fetch(`${api.baseUrl}${path}`);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
    },
  );

  it('never writes the token to the logs', async () => {
    const token = await api.token('carol');
    await fetch(`${api.baseUrl}/v1/analyses`, { headers: { authorization: `Bearer ${token}` } });
    await fetch(`${api.baseUrl}/v1/analyses`, { headers: { authorization: `Bearer ${token}x` } });
    expect(api.rawLogs()).not.toContain(token.split('.')[2]);
    expect(api.logs.some((l) => l.msg === 'request' && l.route === '/v1/analyses' && l.subject === 'carol')).toBe(true);
  });
});

async function collect<T>(gen: AsyncGenerator<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of gen) out.push(item);
  return out;
}
