// Public API of http-api.
