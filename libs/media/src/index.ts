// Public API of media.
