/**
 * Lease-based claims that survive a lost acknowledgement (RELIABILITY R2).
 *
 * A claim is one conditional `UpdateItem` that writes the owner, a fresh random token and the
 * expiry. When its response is lost, the SDK retries, and the retry fails its condition against
 * our own first write; or every attempt fails in transport although one of them was applied.
 * dynalite ignores `ReturnValuesOnConditionCheckFailure`, so in both cases the item is read back
 * with a consistent read: if it carries our owner *and* our token, the claim is ours.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FramewatchError } from '@framewatch/errors';
import type { Expression, UpdateSpec } from './expressions';
import type { TableDefinition } from './table';
import { conditionalUpdate, getConsistent } from './writes';

/** Default attribute names of a lease on an item. */
export const LEASE_ATTRIBUTES = { owner: 'leaseOwner', token: 'leaseToken', expires: 'leaseExpires' } as const;

/** Options of {@link claimLease}. */
export interface ClaimLeaseOptions {
  key: Record<string, unknown>;
  owner: string;
  /** Lease expiry in epoch ms, written to the expiry attribute. */
  expiresAt: number;
  /** When the item may be claimed (e.g. queued, or running with an expired lease). */
  condition: Expression;
  /** Further changes made by the same write (status, counters). */
  update?: UpdateSpec;
  /** The claim's token; a fresh UUID by default. It must be unique per claim call. */
  token?: string;
  attributes?: Partial<typeof LEASE_ATTRIBUTES>;
}

/** Outcome of {@link claimLease}. */
export type LeaseClaim<Item> =
  | {
      won: true;
      item: Item;
      token: string;
      /** True when the win was recognised by reading back (lost acknowledgement). */
      recovered: boolean;
    }
  | { won: false; item: Item | undefined };

/**
 * Claims an item with a lease; see the module comment for lost-acknowledgement handling.
 * Errors other than a failed condition propagate as mapped FramewatchErrors when the read-back
 * does not show the claim as ours.
 *
 * @example
 * const claim = await claimLease(doc, table, {
 *   key: { pk: 'JOB#an-1', sk: 'JOB' },
 *   owner: 'worker-1',
 *   expiresAt: now + 30_000,
 *   condition: { expression: '#s = :q', names: { '#s': 'status' }, values: { ':q': 'queued' } },
 *   update: { set: { status: 'running' }, add: { attempts: 1 } },
 * });
 * if (claim.won) run(claim.item);
 */
export async function claimLease<Item extends object>(
  doc: DynamoDBDocumentClient,
  table: TableDefinition<Item, string>,
  options: ClaimLeaseOptions,
): Promise<LeaseClaim<Item>> {
  const attrs = { ...LEASE_ATTRIBUTES, ...options.attributes };
  const token = options.token ?? randomUUID();
  const update: UpdateSpec = {
    ...options.update,
    set: { ...options.update?.set, [attrs.owner]: options.owner, [attrs.token]: token, [attrs.expires]: options.expiresAt },
  };
  const isOurs = (item: Item | undefined): item is Item =>
    item !== undefined && (item as Record<string, unknown>)[attrs.owner] === options.owner && (item as Record<string, unknown>)[attrs.token] === token;

  let result;
  try {
    result = await conditionalUpdate<Item>(doc, table, { key: options.key, update, condition: options.condition });
  } catch (err) {
    // Transport failures may hide an applied write; anything else (validation, access) cannot.
    if (!(err instanceof FramewatchError) || err.code !== 'UNAVAILABLE') throw err;
    let current: Item | undefined;
    try {
      current = await getConsistent(doc, table, options.key);
    } catch {
      throw err;
    }
    if (isOurs(current)) return { won: true, item: current, token, recovered: true };
    throw err;
  }
  if (result.written) return { won: true, item: result.item, token, recovered: false };
  const current = await getConsistent(doc, table, options.key);
  if (isOurs(current)) return { won: true, item: current, token, recovered: true };
  return { won: false, item: current };
}
