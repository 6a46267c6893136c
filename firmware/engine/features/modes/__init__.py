"""Operating modes: the one in force, and the one reception forces."""
