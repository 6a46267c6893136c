"""ICM in a call: the manager who knows the caller rings first."""
