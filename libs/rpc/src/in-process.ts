/**
 * Binds a component in-process: the caller holds the implementation itself. Calls are direct
 * JavaScript calls, so frames are passed by reference (the batch a callee receives is the very
 * object, with the very typed arrays, the caller passed — nothing is copied or serialised) and
 * errors arrive exactly as thrown. This is the identity function on purpose: the binding exists
 * so that `main.ts` states the choice of locality in one place, next to `createRpcClient`.
 *
 * Callers must therefore treat batches they pass as handed over (not mutate them afterwards), as
 * they would have to with any binding.
 *
 * @example
 * const detector: Detector = topology === 'monolith'
 *   ? bindInProcess(createDetector(deps))
 *   : createRpcClient(detectorContract, { baseUrl: config.detectorUrl, signer });
 */
export function bindInProcess<T>(impl: T): T {
  return impl;
}
