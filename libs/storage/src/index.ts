// Public API of storage.
