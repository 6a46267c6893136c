"""What a scenario asks of the box: who is free, how to ring them, a line for a forward,
and the steps with machinery of their own (queues, voicemail, ICM)."""
