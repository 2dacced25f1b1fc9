"""torch modules only: generators, discriminators, losses. Imports torch and nothing of ours but nets."""
