"""Camp-on for an outside line: queue for a busy line and be rung back when it frees."""
