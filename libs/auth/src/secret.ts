import { ConfigError } from '@framewatch/errors';

/**
 * Smallest accepted shared secret, in bytes. HS256 and HMAC-SHA256 are only as strong as their
 * key, and RFC 7518 §3.2 asks for a key at least as long as the hash output (256 bits).
 */
export const MIN_SECRET_BYTES = 32;

/**
 * Refuses a secret shorter than {@link MIN_SECRET_BYTES} at construction time, so that a weak
 * key fails start-up instead of quietly protecting production. The message names the option but
 * never echoes the secret.
 *
 * @throws ConfigError (`CONFIG_INVALID`) when the secret is missing or too short.
 */
export function assertStrongSecret(secret: unknown, option: string): asserts secret is string {
  if (typeof secret !== 'string' || Buffer.byteLength(secret, 'utf8') < MIN_SECRET_BYTES) {
    throw new ConfigError(`${option} must be at least ${MIN_SECRET_BYTES} bytes long`, {
      detail: { option, minBytes: MIN_SECRET_BYTES },
    });
  }
}
