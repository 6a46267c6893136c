"""What the tests drive: whole boxes, real SIP phones in their own processes, audio analysis."""
