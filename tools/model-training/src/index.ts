// Public API of model-training.
