"""Hardware drivers: each a small class over its library, with a simulated twin."""
