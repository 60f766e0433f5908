// Public API of auth.
export { AuthFailure, bearerToken, createJwtVerifier, issueToken } from './jwt';
export type { IssueTokenOptions, JwtVerifier, JwtVerifierOptions, Principal } from './jwt';
export {
  SignatureFailure,
  SignatureHeader,
  createRequestSigner,
  createRequestVerifier,
} from './request-signature';
export type {
  ReceivedRequest,
  RequestSigner,
  RequestSignerOptions,
  RequestVerifier,
  RequestVerifierOptions,
  SignableRequest,
} from './request-signature';
export { MIN_SECRET_BYTES } from './secret';
