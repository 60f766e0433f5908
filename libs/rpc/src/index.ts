// Public API of rpc.
