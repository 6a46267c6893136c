"""Conference: meet-me rooms by number, with an optional PIN."""
