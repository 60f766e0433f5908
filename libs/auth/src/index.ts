// Public API of auth.
