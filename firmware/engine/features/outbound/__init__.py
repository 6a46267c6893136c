"""Calls to the outside: the class-of-service limits, the line to use, and the line
queue that rings an extension back when a line frees."""
