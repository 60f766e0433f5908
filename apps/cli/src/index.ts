// Public API of cli.
