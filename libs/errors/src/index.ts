export {
  AuthError,
  CancelledError,
  CodecError,
  ConfigError,
  ErrorCode,
  ExitCode,
  FramewatchError,
  InputError,
  RemoteCallError,
  SourceRejectedError,
  SourceTimeoutError,
  UsageError,
  exitCodeFor,
  httpStatusFor,
  toFramewatchError,
  toProblem,
} from './errors';
export type { FramewatchErrorOptions, ProblemDetails } from './errors';
