// Public API of rpc.
export { RpcContentType, RpcHeader, defineContract, rpcPath } from './contract';
export type { ContractSpec, MethodSpec, WireCodec } from './contract';
export { bindInProcess } from './in-process';
export { createRpcRouter } from './server';
export type { RpcRouterOptions } from './server';
export { createRpcClient } from './client';
export type { RetryPolicy, RpcClient, RpcClientOptions, RpcClientStats } from './client';
