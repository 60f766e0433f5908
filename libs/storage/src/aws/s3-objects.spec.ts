import { NoSuchBucket, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { assertS3Prefix, describeAwsError, isNoSuchKey, resolveMultipart, s3Unavailable } from './s3-objects';

const serviceError = (name: string, httpStatusCode: number): S3ServiceException =>
  new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode, attempts: 1 }, message: `${name} happened` });

describe('S3 error mapping', () => {
  it('recognises a missing key, and nothing else, as absent', () => {
    expect(isNoSuchKey(new NoSuchKey({ message: 'gone', $metadata: { httpStatusCode: 404 } }))).toBe(true);
    expect(isNoSuchKey(serviceError('NotFound', 404))).toBe(true);
    expect(isNoSuchKey(new NoSuchBucket({ message: 'no bucket', $metadata: { httpStatusCode: 404 } }))).toBe(false);
    expect(isNoSuchKey(serviceError('AccessDenied', 403))).toBe(false);
  });

  it('maps access errors to UNAVAILABLE marked not retryable, never FORBIDDEN', () => {
    for (const name of ['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch']) {
      const error = s3Unavailable('cannot read result an-1', serviceError(name, 403), { id: 'an-1' });
      expect(error).toMatchObject({ code: 'UNAVAILABLE', detail: { id: 'an-1', awsCode: name, httpStatus: 403, attempts: 1, retryable: false } });
      expect(error.message).toBe(`cannot read result an-1: S3 ${name} (HTTP 403)`);
    }
    expect(s3Unavailable('x', new NoSuchBucket({ message: 'm', $metadata: { httpStatusCode: 404 } })).detail).toMatchObject({ awsCode: 'NoSuchBucket', retryable: false });
  });

  it('maps network failures and 5xx to retryable UNAVAILABLE, keeping the errno', () => {
    const reset = Object.assign(new Error('read ECONNRESET'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 3 } });
    expect(s3Unavailable('x', reset).detail).toEqual({ awsCode: 'TimeoutError', networkCode: 'ECONNRESET', attempts: 3, retryable: true });
    expect(s3Unavailable('x', serviceError('InternalError', 500)).detail).toMatchObject({ awsCode: 'InternalError', httpStatus: 500, retryable: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(describeAwsError(refused)).toEqual({ awsCode: 'ECONNREFUSED', networkCode: 'ECONNREFUSED' });
  });

  it('recovers the name and errno from the SDK wrapper of a foreign-realm error', () => {
    expect(describeAwsError(new Error('AWS SDK error wrapper for TimeoutError: read ECONNRESET'))).toEqual({ awsCode: 'TimeoutError', networkCode: 'ECONNRESET' });
  });

  it('does not take upper-case words of an S3 message for an errno', () => {
    expect(describeAwsError(serviceError('EntityTooLarge', 400))).toEqual({ awsCode: 'EntityTooLarge' });
    expect(describeAwsError(Object.assign(new Error('bad ETAGS'), { name: 'PreconditionFailed' }))).toEqual({ awsCode: 'PreconditionFailed' });
  });
});

describe('S3 options', () => {
  it.each(['', 'prod/', 'team-a/fw.1/'])('accepts the prefix %j', (prefix) => {
    expect(() => assertS3Prefix(prefix)).not.toThrow();
  });

  it.each(['prod', '/prod/', '../', './', 'a//', 'a b/', 'é/'])('rejects the prefix %j with USAGE', (prefix) => {
    expect(() => assertS3Prefix(prefix)).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });

  it('defaults to multipart above 8 MiB in 8 MiB parts and refuses parts under 5 MiB', () => {
    expect(resolveMultipart({})).toEqual({ threshold: 8 * 1024 * 1024, partSize: 8 * 1024 * 1024 });
    expect(resolveMultipart({ multipartThreshold: 1024 })).toEqual({ threshold: 1024, partSize: 5 * 1024 * 1024 });
    expect(() => resolveMultipart({ partSize: 1024 * 1024 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
    expect(() => resolveMultipart({ multipartThreshold: -1 })).toThrow(expect.objectContaining({ code: 'USAGE' }));
  });
});
