// Public API of bench.
