"""Training: procedural data, datasets, the trainer, metrics. May import nets, core, engine."""
