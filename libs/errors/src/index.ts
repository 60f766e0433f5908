export {
  CancelledError,
  CodecError,
  ConfigError,
  ErrorCode,
  ExitCode,
  FramewatchError,
  InputError,
  SourceRejectedError,
  SourceTimeoutError,
  UsageError,
  exitCodeFor,
  httpStatusFor,
  toFramewatchError,
  toProblem,
} from './errors';
export type { FramewatchErrorOptions, ProblemDetails } from './errors';
