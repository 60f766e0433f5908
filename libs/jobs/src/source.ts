import { InputError, SourceRejectedError } from '@framewatch/errors';
import type { SourceRef } from '@framewatch/pipeline';
import type { JobRecord } from '@framewatch/storage';

/**
 * Where the worker reads a job's media: an http(s) URL as submitted, or the uploaded file the
 * API stored. A `url` that is not http(s) is refused even though the API already checked it, so
 * a job record written by anything else can never point the worker's converter (which may read
 * local files, for uploads) at a path.
 *
 * @example
 * createJobWorker({ …, resolveSource: resolveJobSource });
 */
export function resolveJobSource(job: JobRecord): SourceRef {
  if (job.source.url !== undefined) {
    if (!/^https?:\/\//i.test(job.source.url)) throw new SourceRejectedError('a job URL must be http(s)');
    return { url: job.source.url };
  }
  if (job.source.upload !== undefined) return { url: job.source.upload.path };
  if (job.source.s3 !== undefined) throw new InputError('INPUT_UNSUPPORTED', 'S3 sources need the AWS store (not configured)');
  throw new InputError('INPUT_UNSUPPORTED', 'the job has no source');
}
