import { AuthError, FramewatchError, InputError, RemoteCallError } from '@framewatch/errors';
import { peekMessageHeader } from '@framewatch/frame-codec';
import { decodeRequest, encodeRequest, fromErrorEnvelope, toErrorEnvelope } from './wire';

describe('error envelopes', () => {
  it('round-trips known classes with their code and detail', () => {
    const back = fromErrorEnvelope(JSON.parse(JSON.stringify(toErrorEnvelope(new InputError('INPUT_EMPTY', 'empty', { detail: { bytes: 0 } })))));
    expect(back).toBeInstanceOf(InputError);
    expect(back).toMatchObject({ code: 'INPUT_EMPTY', message: 'empty', detail: { bytes: 0 } });
    expect(fromErrorEnvelope(toErrorEnvelope(new RemoteCallError('downstream')))).toBeInstanceOf(RemoteCallError);
  });

  it('never sends a cause or stack, and hides the message of an internal error', () => {
    const envelope = toErrorEnvelope(new Error('db password is hunter2'));
    expect(envelope).toEqual({ error: { name: 'FramewatchError', code: 'INTERNAL', message: 'internal error', detail: {} } });
    const withCause = JSON.stringify(toErrorEnvelope(new AuthError('no', { cause: new Error('token abc') })));
    expect(withCause).not.toMatch(/abc|stack/);
  });

  it('does not rebuild a class whose fixed code disagrees with the envelope', () => {
    const back = fromErrorEnvelope({ error: { name: 'AuthError', code: 'CONFLICT', message: 'm', detail: {} } });
    expect(back).not.toBeInstanceOf(AuthError);
    expect(back).toBeInstanceOf(FramewatchError);
    expect(back?.code).toBe('CONFLICT');
  });

  it('maps an unknown code to INTERNAL and ignores bodies that are not envelopes', () => {
    expect(fromErrorEnvelope({ error: { name: 'X', code: 'NOPE', message: 'm' } })?.code).toBe('INTERNAL');
    expect(fromErrorEnvelope({ message: 'nginx' })).toBeUndefined();
    expect(fromErrorEnvelope('text')).toBeUndefined();
    expect(fromErrorEnvelope({ error: { name: '__proto__', code: 'USAGE', message: 'm' } })).toBeInstanceOf(FramewatchError);
  });
});

describe('request bodies', () => {
  it('leaves the codec body checksum out only when asked (signed requests), and decodes either', () => {
    const batch = { streamId: 's', seq: 0, startSec: 0, endSec: 1, final: true, audio: [], video: [{ pts: 0, index: 0, width: 2, height: 1, format: 'gray' as const, planes: [new Uint8Array([1, 2])] }] };
    const signed = encodeRequest('frame-batch', [batch], { bodyChecksum: false });
    const unsigned = encodeRequest('frame-batch', [batch]);
    expect(peekMessageHeader(signed).bodyChecksum).toBe(false);
    expect(peekMessageHeader(unsigned).bodyChecksum).toBe(true);
    expect(decodeRequest('frame-batch', signed)).toEqual(decodeRequest('frame-batch', unsigned));
  });

  it('encodes JSON arguments as an array and decodes them back', () => {
    expect(decodeRequest('json', encodeRequest('json', [1, 'a', { b: true }]))).toEqual([1, 'a', { b: true }]);
  });

  it('sends no body for a void request and refuses one on receipt', () => {
    expect(encodeRequest('void', []).byteLength).toBe(0);
    expect(() => decodeRequest('void', new Uint8Array([1]))).toThrow(FramewatchError);
  });
});
