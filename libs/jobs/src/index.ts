// Public API of jobs.
