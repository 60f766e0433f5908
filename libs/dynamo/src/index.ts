// Public API of dynamo: DynamoDB building blocks (document client, typed tables, conditional
// writes, pagination, leases, error mapping) for the AWS adapters.
export { DOCUMENT_TRANSLATE_CONFIG, DYNAMO_CLIENT_DEFAULTS, createDocumentClient, toClientConfig } from './client';
export type { DocumentClientOptions, DynamoClientConfig } from './client';
export { UnavailableReason, isConditionalCheckFailed, toDynamoError } from './errors';
export { buildUpdate, mergePlaceholders } from './expressions';
export type { BuiltUpdate, Expression, UpdateSpec } from './expressions';
export { LEASE_ATTRIBUTES, claimLease } from './lease';
export type { ClaimLeaseOptions, LeaseClaim } from './lease';
export { queryPages, scanPages } from './pages';
export { defineTable } from './table';
export type { IndexDefinition, KeyAttribute, TableDefinition, TableSpec } from './table';
export { conditionalUpdate, getConsistent, putIfAbsent, putIfVersion, updateIfVersion } from './writes';
export type { ConditionalResult, ConditionalUpdateOptions, VersionOptions } from './writes';
