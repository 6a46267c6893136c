"""Department queues: callers wait with music in order and are offered to free members."""
