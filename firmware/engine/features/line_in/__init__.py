"""Music on hold from the board's line-in, falling back to the shipped file."""
