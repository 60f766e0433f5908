// Public API of detectors.
